package dev.gatehouse.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.ca.auth.ServiceAccountDirectory.Presence;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.NamespaceInfo;
import dev.gatehouse.model.ResourceMeta;
import dev.gatehouse.model.ServiceAccountInfo;
import org.junit.jupiter.api.Test;

class MeshServiceAccountsTest {
  private static final MeshSnapshot MESH = MeshSnapshot.builder(1, MeshConfig.defaults())
      .namespace(new NamespaceInfo(ResourceMeta.of("Namespace", "", "shop")))
      .serviceAccount(new ServiceAccountInfo(ResourceMeta.of("ServiceAccount", "shop", "cart")))
      .serviceAccount(new ServiceAccountInfo(ResourceMeta.of("ServiceAccount", "batch", "runner")))
      .build();

  @Test
  void declaredServiceAccountsAndDefaultInDeclaredNamespacesExist() {
    assertThat(MeshServiceAccounts.lookup(MESH, "shop", "cart")).isEqualTo(Presence.PRESENT);
    assertThat(MeshServiceAccounts.lookup(MESH, "shop", "default")).isEqualTo(Presence.PRESENT);
    assertThat(MeshServiceAccounts.lookup(MESH, "batch", "runner")).isEqualTo(Presence.PRESENT);
  }

  @Test
  void anythingElseIsAbsentAndSaysWhich() {
    assertThat(MeshServiceAccounts.lookup(MESH, "shop", "teller")).isEqualTo(Presence.SERVICE_ACCOUNT_ABSENT);
    // A namespace known only through a ServiceAccount has no implied default account: Kubernetes would have one only
    // if the Namespace existed, and the configuration does not declare it.
    assertThat(MeshServiceAccounts.lookup(MESH, "batch", "default")).isEqualTo(Presence.SERVICE_ACCOUNT_ABSENT);
    assertThat(MeshServiceAccounts.lookup(MESH, "ghost", "teller")).isEqualTo(Presence.NAMESPACE_ABSENT);
    assertThat(MeshServiceAccounts.lookup(MESH, "ghost", "default")).isEqualTo(Presence.NAMESPACE_ABSENT);
  }

  @Test
  void nothingIsKnownBeforeTheFirstSnapshotAndTheLatestPushWins() {
    MeshServiceAccounts accounts = new MeshServiceAccounts();
    assertThat(accounts.lookup("shop", "cart")).isEqualTo(Presence.NOT_LOADED);
    accounts.accept(MESH);
    assertThat(accounts.lookup("shop", "cart")).isEqualTo(Presence.PRESENT);
    accounts.accept(MeshSnapshot.builder(2, MeshConfig.defaults())
        .namespace(new NamespaceInfo(ResourceMeta.of("Namespace", "", "shop"))).build());
    assertThat(accounts.lookup("shop", "cart")).isEqualTo(Presence.SERVICE_ACCOUNT_ABSENT);
  }
}
