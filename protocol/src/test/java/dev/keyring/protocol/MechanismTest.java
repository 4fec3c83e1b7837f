package dev.keyring.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/** {@link Mechanism#parse}: a constant's name, or the same in any case, with or without CKM_. */
class MechanismTest {
  @Test
  void everyMechanism_isFoundByItsName_inAnyCase_withOrWithoutThePrefix() {
    for (Mechanism m : Mechanism.values()) {
      String name = m.name();
      assertEquals(m, Mechanism.parse(name));
      assertEquals(m, Mechanism.parse(name.toLowerCase(Locale.ROOT)));
      assertEquals(m, Mechanism.parse(name.substring("CKM_".length())));
      assertEquals(m, Mechanism.parse(name.substring("CKM_".length()).toLowerCase(Locale.ROOT)));
    }
  }

  @Test
  void anUnknownOrMissingName_isRefusedAsAnInvalidMechanism() {
    for (String bad : new String[] {"CKM_DES_CBC", "", "CKM_", "ckm_aes_gcm ", null}) {
      HsmException e = assertThrows(HsmException.class, () -> Mechanism.parse(bad));
      assertEquals(ResultCode.CKR_MECHANISM_INVALID, e.code(), String.valueOf(bad));
    }
  }
}
