package dev.graft.inference.config;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * Bounds on request JSON beyond the body size limit: no request of this API nests deeper than a few
 * levels, so a document nested {@value #MAX_NESTING} deep is refused (400) before it costs stack or
 * memory; strings (base64 images) stay under Jackson's 20 M-character default, which the 20 MB body
 * limit already implies.
 */
@Singleton
public class JsonLimits implements ObjectMapperCustomizer {
    public static final int MAX_NESTING = 32;

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build());
    }
}
