package dev.graft.contract.manifest;

/**
 * Where a model's convolutional base came from, and where its head starts, so a later training can
 * reuse this model as a base ({@code model:NAME@VERSION}) by cutting at {@code featureLayer}.
 *
 * @param architecture zoo architecture the graph was built from (its layer-name map applies)
 * @param weights      the weights the base started from: random, imagenet or model:NAME@VERSION
 * @param featureLayer the last layer of the base; everything after it is head
 */
public record BaseLineage(String architecture, String weights, String featureLayer) {
}
