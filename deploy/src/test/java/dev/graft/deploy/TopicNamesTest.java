package dev.graft.deploy;

import dev.graft.contract.events.Topics;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Topic names are defined once, in the contract's {@link Topics}; the files that cannot import it
 * (bin/graft, docker-compose, the services' channel settings) are checked against it here.
 */
class TopicNamesTest {

    private static String read(String file) throws IOException {
        return Files.readString(Path.of("..").resolve(file));
    }

    private static String only(Pattern pattern, String text, String where) {
        Matcher m = pattern.matcher(text);
        assertThat(m.find()).as(where).isTrue();
        String found = m.group(1);
        assertThat(m.find()).as("one topic list in " + where).isFalse();
        return found;
    }

    @Test
    void binGraftAndDockerComposeCreateExactlyTheContractsTopics() throws IOException {
        String binGraft = only(Pattern.compile("(?m)^TOPICS=(\\S+)$"), read("bin/graft"), "bin/graft");
        assertThat(binGraft.split(",")).containsExactlyInAnyOrderElementsOf(Topics.ALL);
        String compose = only(Pattern.compile("for topic in ([^;]+); do"), read("docker-compose.yml"), "docker-compose.yml");
        assertThat(compose.trim().split("\\s+")).containsExactlyInAnyOrderElementsOf(Topics.ALL);
    }

    @Test
    void everyChannelOfBothServicesIsBoundToAContractTopic() throws IOException {
        for (String service : List.of("trainer-service", "inference-service")) {
            Properties properties = new Properties();
            properties.load(new StringReader(read(service + "/src/main/resources/application.properties")));
            List<String> bound = properties.stringPropertyNames().stream().filter(name -> name.endsWith(".topic"))
                    .map(properties::getProperty).toList();
            assertThat(bound).as(service).isNotEmpty().allSatisfy(topic -> assertThat(Topics.ALL).contains(topic));
        }
        assertThat(Arrays.stream(Topics.class.getFields()).filter(f -> f.getType() == String.class))
                .as("ALL lists every constant").hasSize(Topics.ALL.size());
    }
}
