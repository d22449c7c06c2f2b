package dev.graft.inference.health;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.health.api.HealthGroup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Whether Kafka answers, at {@code /q/health/group/kafka}: reported apart from readiness, because this
 * service keeps serving the versions it has while Kafka is away (it only misses new ones until Kafka
 * returns, when its consumer reconnects by itself).
 */
@HealthGroup("kafka")
@ApplicationScoped
public class KafkaConnection implements HealthCheck {
    private static final int TIMEOUT_MS = 3000;

    private final Admin admin;
    private final String bootstrap;

    public KafkaConnection(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig) {
        // the application's kafka.* settings (servers, SASL/SSL), with short timeouts for a health check
        Map<String, Object> config = new HashMap<>(kafkaConfig);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, TIMEOUT_MS);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, TIMEOUT_MS);
        config.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
        this.bootstrap = String.valueOf(config.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG));
        this.admin = Admin.create(config);
    }

    @Override
    public HealthCheckResponse call() {
        try {
            int brokers = admin.describeCluster(new DescribeClusterOptions().timeoutMs(TIMEOUT_MS)).nodes()
                    .get(TIMEOUT_MS + 500L, TimeUnit.MILLISECONDS).size();
            return HealthCheckResponse.named("kafka").up().withData("bootstrap", bootstrap).withData("brokers", brokers)
                    .build();
        } catch (Exception e) {
            return HealthCheckResponse.named("kafka").down().withData("bootstrap", bootstrap)
                    .withData("error", String.valueOf(e.getCause() != null ? e.getCause() : e)).build();
        }
    }

    @PreDestroy
    void close() {
        admin.close();
    }
}
