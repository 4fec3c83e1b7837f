package dev.keyring.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KeyringLimitsTest {
  private static Attributes label(String label) {
    return Attributes.builder().label(label).build();
  }

  private static Attributes id(int bytes) {
    return Attributes.builder().id(new byte[bytes]).build();
  }

  private static HsmException refused(Attributes attrs) {
    HsmException e =
        assertThrows(HsmException.class, () -> KeyringLimits.checkObjectAttributes(attrs));
    assertEquals(ResultCode.CKR_ATTRIBUTE_VALUE_INVALID, e.code());
    return e;
  }

  @Test
  void label_ofTheLimitInUtf8Bytes_isAccepted_andOneByteMore_isRefused() {
    KeyringLimits.checkObjectAttributes(label("a".repeat(KeyringLimits.MAX_LABEL_BYTES)));
    KeyringLimits.checkObjectAttributes(label("é".repeat(KeyringLimits.MAX_LABEL_BYTES / 2)));
    refused(label("a".repeat(KeyringLimits.MAX_LABEL_BYTES + 1)));
    // 86 characters, 258 bytes
    refused(label("€".repeat(86)));
  }

  @Test
  void id_ofTheLimit_isAccepted_andOneByteMore_isRefused() {
    KeyringLimits.checkObjectAttributes(id(KeyringLimits.MAX_ID_BYTES));
    HsmException e = refused(id(KeyringLimits.MAX_ID_BYTES + 1));
    assertTrue(e.getMessage().contains("CKA_ID"), e.getMessage());
  }

  @Test
  void refusal_namesTheAttributeAndTheLimit_neverTheValue() {
    String huge = "x".repeat(5_000_000);
    HsmException e = refused(label(huge));
    assertTrue(e.getMessage().contains("CKA_LABEL"), e.getMessage());
    assertTrue(e.getMessage().contains("256"), e.getMessage());
    assertFalse(e.getMessage().contains("xxxxxxxx"), "the label is not repeated");
    assertTrue(e.getMessage().length() < 200, e.getMessage());
  }

  @Test
  void attributesWithoutLabelOrId_areAccepted() {
    KeyringLimits.checkObjectAttributes(Attributes.empty());
    KeyringLimits.checkObjectAttributes(
        Attributes.builder().flag(AttributeType.CKA_SIGN, true).build());
  }
}
