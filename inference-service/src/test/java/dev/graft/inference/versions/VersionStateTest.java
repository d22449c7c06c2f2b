package dev.graft.inference.versions;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VersionStateTest {

    @Test
    void theUsualLifeIsAllowedAndShortcutsThrow() {
        VersionRecord record = new VersionRecord(1, true);
        for (VersionState next : new VersionState[]{VersionState.LOADING, VersionState.READY, VersionState.SERVING,
                VersionState.READY, VersionState.DRAINING, VersionState.RETIRED, VersionState.LOADING,
                VersionState.FAILED, VersionState.DISCOVERED}) {
            record.moveTo(next);
            assertThat(record.state()).isEqualTo(next);
        }
        assertThatThrownBy(() -> record.moveTo(VersionState.SERVING)).isInstanceOf(IllegalStateException.class)
                .hasMessage("version 1 cannot go from discovered to serving");
        assertThat(VersionState.FAILED.canMoveTo(VersionState.READY)).as("a failed version loads again first").isFalse();
        assertThat(VersionState.DRAINING.canMoveTo(VersionState.SERVING)).isFalse();
    }
}
