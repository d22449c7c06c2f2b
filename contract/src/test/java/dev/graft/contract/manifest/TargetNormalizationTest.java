package dev.graft.contract.manifest;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TargetNormalizationTest {

    @Test
    void fitsMeanAndStdAndRoundTrips() {
        TargetNormalization n = TargetNormalization.fit(List.of(80.0, 120.0, 160.0));
        assertThat(n.mean()).isEqualTo(120.0);
        assertThat(n.std()).isCloseTo(Math.sqrt(3200.0 / 3), within(1e-9));
        assertThat(n.normalize(120.0)).isZero();
        assertThat(n.denormalize(n.normalize(97.5))).isCloseTo(97.5, within(1e-9));
    }

    @Test
    void equalTargetsGetUnitStdAndBadNumbersAreRejected() {
        assertThat(TargetNormalization.fit(List.of(5.0, 5.0)).std()).isEqualTo(1.0);
        assertThatThrownBy(() -> new TargetNormalization(1, 0)).hasMessageContaining("std > 0");
        assertThatThrownBy(() -> TargetNormalization.fit(List.of())).hasMessageContaining("no targets");
    }
}
