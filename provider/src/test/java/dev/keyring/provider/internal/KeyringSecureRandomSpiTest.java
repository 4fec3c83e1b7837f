package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.api.ProviderOperation;
import dev.keyring.testing.channel.FakeMember;
import java.security.SecureRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KeyringSecureRandomSpiTest {
  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);
  private final FakeMember member = fake.cluster().member(0);

  @Test
  void smallRequests_areServedFromOneBlockOfHsmBytes() throws Exception {
    SecureRandom r = SecureRandom.getInstance("HSM", fake.provider());
    byte[] a = new byte[100];
    byte[] b = new byte[100];
    r.nextBytes(a);
    r.nextBytes(b);
    assertEquals(1, member.calls("random"));
    assertFalse(Arrays.equals(a, b));
    assertEquals(1, fake.provider().operationCount(ProviderOperation.RANDOM));
  }

  @Test
  void aLargeRequest_isOneCallOfItsOwnSize() throws Exception {
    SecureRandom r = SecureRandom.getInstance("KeyringHSM", fake.provider());
    r.nextBytes(new byte[5000]);
    assertEquals(1, member.calls("random"));
    assertEquals(5000, r.generateSeed(5000).length);
    assertEquals(2, member.calls("random"));
  }

  @Test
  void aSeedFromTheCaller_isIgnored_theHsmTakesNone() throws Exception {
    SecureRandom r = SecureRandom.getInstance("HSM", fake.provider());
    r.setSeed(new byte[] {1, 2, 3});
    byte[] a = new byte[32];
    r.nextBytes(a);
    SecureRandom s = SecureRandom.getInstance("HSM", fake.provider());
    s.setSeed(new byte[] {1, 2, 3});
    byte[] b = new byte[32];
    s.nextBytes(b);
    assertFalse(Arrays.equals(a, b));
  }
}
