package io.dbmmigrate.net.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class AllowedIdentitiesTest {
  private final PeerIdentity source =
      new PeerIdentity("source-node", List.of("spiffe://dbm-migrate/source-node"), List.of("localhost"));

  @Test
  void prefixedRulesMatchOnlyTheirField() {
    assertThat(AllowedIdentities.parse(List.of("cn:source-node")).permits(source)).isTrue();
    assertThat(AllowedIdentities.parse(List.of("uri:spiffe://dbm-migrate/source-node")).permits(source)).isTrue();
    assertThat(AllowedIdentities.parse(List.of("dns:localhost")).permits(source)).isTrue();
    assertThat(AllowedIdentities.parse(List.of("uri:source-node")).permits(source)).isFalse();
    assertThat(AllowedIdentities.parse(List.of("cn:localhost")).permits(source)).isFalse();
  }

  @Test
  void bareNameMatchesCnOrUriButNotDns() {
    assertThat(AllowedIdentities.parse(List.of("source-node")).permits(source)).isTrue();
    assertThat(AllowedIdentities.parse(List.of("spiffe://dbm-migrate/source-node")).permits(source)).isTrue();
    assertThat(AllowedIdentities.parse(List.of("localhost")).permits(source)).isFalse();
  }

  @Test
  void matchingIsExactAndCaseSensitive() {
    assertThat(AllowedIdentities.parse(List.of("cn:Source-Node")).permits(source)).isFalse();
    assertThat(AllowedIdentities.parse(List.of("cn:source")).permits(source)).isFalse();
    assertThat(AllowedIdentities.parse(List.of("CN:source-node")).permits(source)).isTrue();
  }

  @Test
  void anyOfSeveralRulesSufficesAndStarAdmitsEveryone() {
    assertThat(AllowedIdentities.parse(List.of("cn:other", "cn:source-node")).permits(source)).isTrue();
    assertThat(AllowedIdentities.parse(List.of("*")).permits(new PeerIdentity("", List.of(), List.of()))).isTrue();
  }

  @Test
  void refusesEmptyRules() {
    assertThatThrownBy(() -> AllowedIdentities.parse(List.of())).hasMessageContaining("no allowed identity");
    assertThatThrownBy(() -> AllowedIdentities.parse(List.of(" "))).hasMessageContaining("empty");
    assertThatThrownBy(() -> AllowedIdentities.parse(List.of("cn:"))).hasMessageContaining("no name");
  }
}
