package dev.keyring.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MultiPartInputTest {
  @Test
  void parts_areGatheredInOrder_andNullAddsNothing() {
    MultiPartInput in = new MultiPartInput();
    in.append(new byte[] {1, 2});
    in.append(null);
    in.append(new byte[] {3});
    assertArrayEquals(new byte[] {1, 2, 3}, in.all());
    assertEquals(3, in.size());
    assertArrayEquals(new byte[] {1, 2, 3}, in.all(), "all() leaves the input as it was");
  }

  @Test
  void inputPastTheLimit_isRefused_andNothingOfThatPartIsKept() {
    MultiPartInput in = new MultiPartInput();
    in.append(new byte[KeyringLimits.MAX_MULTIPART_BYTES - 1]);
    HsmException e = assertThrows(HsmException.class, () -> in.append(new byte[2]));
    assertEquals(ResultCode.CKR_DATA_LEN_RANGE, e.code());
    assertEquals(KeyringLimits.MAX_MULTIPART_BYTES - 1, in.all().length);
    in.append(new byte[1]); // exactly the limit is allowed
    assertEquals(KeyringLimits.MAX_MULTIPART_BYTES, in.all().length);
  }
}
