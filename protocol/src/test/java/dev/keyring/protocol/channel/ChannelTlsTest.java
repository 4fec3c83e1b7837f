package dev.keyring.protocol.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class ChannelTlsTest {
  @Test
  void aes128Gcm_isPutFirst_theOthersKeptInTheirOrder() {
    assertArrayEquals(
        new String[] {
          "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "X"
        },
        ChannelTls.preferred(
            new String[] {
              "TLS_AES_256_GCM_SHA384",
              "TLS_AES_128_GCM_SHA256",
              "TLS_CHACHA20_POLY1305_SHA256",
              "X"
            }));
  }

  @Test
  void withoutAes128Gcm_theOrderIsUnchanged() {
    String[] only = {"TLS_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"};
    assertArrayEquals(only, ChannelTls.preferred(only.clone()));
  }
}
