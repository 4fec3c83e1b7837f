package dev.keyring.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.benchmarks.PairedRounds.Ratio;
import dev.keyring.benchmarks.PairedRounds.Score;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Round-by-round ratios of the provider benchmark, and the rounds setting. */
class PairedRoundsTest {
  private static final String K = "keyring";
  private static final String S = "sunpkcs11-softhsm2";
  private static final String J = "jdk";

  @Test
  void theRoundsSetting_defaultsToOne_andRefusesWhatIsNotAWholeNumberInRange() {
    assertEquals(1, PairedRounds.rounds(null));
    assertEquals(1, PairedRounds.rounds(" "));
    assertEquals(5, PairedRounds.rounds(" 5 "));
    assertEquals(PairedRounds.MAX_ROUNDS, PairedRounds.rounds("50"));
    for (String bad : List.of("0", "-2", "51", "five", "2.5")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> PairedRounds.rounds(bad));
      assertTrue(e.getMessage().contains(PairedRounds.ROUNDS_PROPERTY), e.getMessage());
      assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
    }
  }

  @Test
  void everyOtherRound_runsTheProvidersInTheReverseOrder() {
    assertEquals(List.of(K, S, J), PairedRounds.order(List.of(K, S, J), 1));
    assertEquals(List.of(J, S, K), PairedRounds.order(List.of(K, S, J), 2));
    assertEquals(List.of(K, S, J), PairedRounds.order(List.of(K, S, J), 3));
  }

  @Test
  void eachRoundsRatio_isTakenWithinTheRound_andTheMedianAndRangeOverTheRounds() {
    List<Score> scores =
        List.of(
            new Score(1, "t1", "P-256-ECDSA", 1, K, 10_000),
            new Score(1, "t1", "P-256-ECDSA", 1, S, 8_000),
            new Score(1, "t1", "P-256-ECDSA", 1, J, 2_000),
            // a slow round: both sides slow, the ratio holds
            new Score(2, "t1", "P-256-ECDSA", 1, J, 1_000),
            new Score(2, "t1", "P-256-ECDSA", 1, S, 4_000),
            new Score(2, "t1", "P-256-ECDSA", 1, K, 6_000),
            new Score(3, "t1", "P-256-ECDSA", 1, K, 9_000),
            new Score(3, "t1", "P-256-ECDSA", 1, S, 10_000),
            // a round without the reference is left out of that ratio
            new Score(3, "t2", "AES-GCM-1KiB", 2, K, 30_000),
            new Score(1, "t2", "AES-GCM-1KiB", 2, K, 20_000),
            new Score(1, "t2", "AES-GCM-1KiB", 2, S, 40_000));
    List<Ratio> ratios = PairedRounds.ratios(scores, K);
    assertEquals(3, ratios.size(), ratios.toString());

    Ratio vsSoftHsm = ratios.get(0);
    assertEquals("t1", vsSoftHsm.method());
    assertEquals(S, vsSoftHsm.reference());
    assertEquals(List.of(1.25, 1.5, 0.9), vsSoftHsm.ratios());
    assertEquals(1.25, vsSoftHsm.median(), 1e-9);
    assertEquals(0.9, vsSoftHsm.lowest(), 1e-9);
    assertEquals(1.5, vsSoftHsm.highest(), 1e-9);
    assertEquals(
        "t1 P-256-ECDSA (1 thread): keyring / sunpkcs11-softhsm2 = 1.25 1.50 0.90;"
            + " median 1.25 (0.90–1.50, 3 rounds)",
        vsSoftHsm.line());

    Ratio vsJdk = ratios.get(1);
    assertEquals(J, vsJdk.reference());
    assertEquals(List.of(5.0, 6.0), vsJdk.ratios());
    assertEquals(5.5, vsJdk.median(), 1e-9); // an even count: the mean of the middle two

    Ratio aes = ratios.get(2);
    assertEquals("AES-GCM-1KiB", aes.op());
    assertEquals(2, aes.threads());
    assertEquals(List.of(0.5), aes.ratios());
    assertTrue(aes.line().startsWith("t2 AES-GCM-1KiB (2 threads): "), aes.line());
  }

  @Test
  void withoutTheFirstProvidersScores_thereIsNoRatio() {
    List<Score> scores =
        List.of(
            new Score(1, "t1", "P-256-ECDSA", 1, S, 8_000),
            new Score(1, "t1", "P-256-ECDSA", 1, J, 2_000));
    assertEquals(List.of(), PairedRounds.ratios(scores, K));
  }
}
