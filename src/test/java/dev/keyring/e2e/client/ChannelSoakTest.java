package dev.keyring.e2e.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.SystemProperties;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.testing.cluster.ClusterHarness;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crypto channel under steady load: 8 application threads sign (P-256 ECDSA, one signature in
 * 16 checked by the JDK) and, one operation in 8, seal and open 1 KiB with AES-GCM, through the
 * provider over its default wire (the channel) to one member process, for a fixed time. No
 * operation may fail, and once the provider is closed the member's open file descriptors go back to
 * the count before it connected. The member's descriptors ({@code /proc/PID/fd}), its heap used
 * after a full GC ({@code jcmd GC.run}, {@code GC.heap_info}) and the test JVM's are sampled and
 * printed for the first and the last window (a minute, or a third of a short run): they are figures
 * to read, not assertions.
 *
 * <p>The short run (20 s) runs with the e2e tests. The full soak is tagged {@code long}: it runs
 * with {@code -Dkeyring.long=true}, for {@code keyring.soak.seconds} (600 by default).
 */
class ChannelSoakTest {
  private static final String INITIAL = "keyring-initial-1";
  private static final String PASSWORD = "keyring-password-2";
  private static final int THREADS = 8;
  private static final Pattern G1_USED =
      Pattern.compile("garbage-first heap\\s+total \\d+K, used (\\d+)K");
  private static final Pattern GENERATION_USED =
      Pattern.compile(
          "(?m)^\\s*(?:def new generation|tenured generation|PSYoungGen|ParOldGen)"
              + "\\s+total \\d+K, used (\\d+)K");

  @Test
  @Timeout(600)
  void twentySeconds_eightThreads_noFailure_descriptorsBackAfterClose(@TempDir Path dir)
      throws Exception {
    soak(dir, Duration.ofSeconds(20), Duration.ofSeconds(7));
  }

  @Test
  @Tag("long")
  @Timeout(value = 3, unit = TimeUnit.HOURS)
  void tenMinutes_eightThreads_noFailure_heapAndDescriptorsReported(@TempDir Path dir)
      throws Exception {
    Duration length =
        Duration.ofSeconds(
            SystemProperties.wholeNumber("keyring.soak.seconds", 600, 1, 86_400, "seconds"));
    Duration window =
        length.compareTo(Duration.ofMinutes(3)) >= 0 ? Duration.ofMinutes(1) : length.dividedBy(3);
    soak(dir, length, window);
  }

  /** One sample of the member's and the test JVM's descriptors and heap after GC. */
  private record Sample(long atMillis, long memberFds, long memberHeapKb, long clientHeapKb) {}

  private static void soak(Path dir, Duration length, Duration window) throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 1, 1)) {
      h.createKeyrings(0, "app", INITIAL, 1, 1);
      Path conf = h.registerClient(0, "soak-client", dir.resolve("client/Chrystoki.conf"));
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0);
          KeyringChannel s = client.openSession("app1")) {
        s.login(Role.KRSO, INITIAL);
        s.changePassword(INITIAL, PASSWORD);
        s.initKrco(PASSWORD);
        s.logout();
      }
      long pid = h.member(0).pid();
      // the set-up client's connections closed: the member settles back to its own descriptors
      long before = settledFds(pid);

      KeyringProvider provider = new KeyringProvider(conf);
      AtomicLong signs = new AtomicLong();
      AtomicLong seals = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      Map<String, Integer> failures = new ConcurrentHashMap<>();
      List<Sample> samples = new ArrayList<>();
      try {
        KeyStore ks = KeyStore.getInstance("Keyring", provider);
        ks.load(
            new ByteArrayInputStream("slot=app1\n".getBytes(StandardCharsets.UTF_8)),
            PASSWORD.toCharArray());
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
        g.initialize(
            KeyringKeyGenParameterSpec.builder()
                .label("soak-signing")
                .keyring("app1")
                .curve("P-256")
                .build());
        KeyPair signing = g.generateKeyPair();
        KeyGenerator a = KeyGenerator.getInstance("AES", provider);
        a.init(
            KeyringKeyGenParameterSpec.builder()
                .label("soak-aes")
                .keyring("app1")
                .keySize(256)
                .build());
        SecretKey aes = a.generateKey();

        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
          int thread = i;
          Thread t =
              new Thread(
                  () -> {
                    long n = 0;
                    while (running.get()) {
                      n++;
                      try {
                        if (n % 8 == 0) {
                          sealAndOpen(provider, aes, thread, n);
                          seals.incrementAndGet();
                        } else {
                          sign(provider, signing, n % 16 == 1);
                          signs.incrementAndGet();
                        }
                      } catch (Exception | Error e) {
                        failed.incrementAndGet();
                        failures.merge(String.valueOf(e), 1, Integer::sum);
                      }
                    }
                  },
                  "soak-" + i);
          t.setDaemon(true);
          threads.add(t);
          t.start();
        }
        long start = System.nanoTime();
        long end = start + length.toNanos();
        long every = Math.max(1_000, Math.min(15_000, length.toMillis() / 20));
        try {
          while (System.nanoTime() < end) {
            Thread.sleep(Math.min(every, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            samples.add(
                new Sample(
                    (System.nanoTime() - start) / 1_000_000,
                    fds(pid),
                    memberHeapAfterGcKb(pid),
                    clientHeapAfterGcKb()));
          }
        } finally {
          running.set(false);
          for (Thread t : threads) {
            t.join(60_000);
          }
        }
      } finally {
        provider.close();
      }
      long after = awaitFdsAtMost(pid, before);
      long windowMs = window.toMillis();
      long lastFrom = length.toMillis() - windowMs;
      System.out.printf(
          "channel soak: %d s, %d threads, %d signatures, %d AES-GCM seal+open of 1 KiB, %d"
              + " failed%s%n",
          length.toSeconds(),
          THREADS,
          signs.get(),
          seals.get(),
          failed.get(),
          failures.isEmpty() ? "" : " " + failures);
      System.out.println("  " + describe("first " + windowMs / 1000 + " s", samples, 0, windowMs));
      System.out.println(
          "  " + describe("last " + windowMs / 1000 + " s", samples, lastFrom, Long.MAX_VALUE));
      System.out.printf(
          "  member descriptors: %d before the provider connected, %d after it closed%n",
          before, after);
      assertEquals(0, failed.get(), "failed operations: " + failures);
      assertTrue(signs.get() > 0 && seals.get() > 0, "both operations ran");
      assertTrue(
          after <= before,
          "the member's descriptors went back to "
              + before
              + " after the clients closed: "
              + after);
    }
  }

  private static void sign(KeyringProvider provider, KeyPair kp, boolean check) throws Exception {
    byte[] msg = "soak".getBytes(StandardCharsets.UTF_8);
    Signature s = Signature.getInstance("SHA256withECDSA", provider);
    s.initSign(kp.getPrivate());
    s.update(msg);
    byte[] sig = s.sign();
    if (check) {
      Signature v = Signature.getInstance("SHA256withECDSA");
      v.initVerify(kp.getPublic());
      v.update(msg);
      if (!v.verify(sig)) {
        throw new IllegalStateException("a signature did not verify");
      }
    }
  }

  private static void sealAndOpen(KeyringProvider provider, SecretKey key, int thread, long n)
      throws Exception {
    byte[] iv = ByteBuffer.allocate(12).putInt(thread).putLong(n).array();
    byte[] plain = new byte[1024];
    Arrays.fill(plain, (byte) n);
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding", provider);
    c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
    byte[] sealed = c.doFinal(plain);
    c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, iv));
    if (!Arrays.equals(plain, c.doFinal(sealed))) {
      throw new IllegalStateException("AES-GCM did not give the plaintext back");
    }
  }

  private static String describe(String what, List<Sample> samples, long from, long to) {
    List<Sample> in =
        samples.stream().filter(x -> x.atMillis() >= from && x.atMillis() <= to).toList();
    if (in.isEmpty()) {
      return what + ": no sample";
    }
    return String.format(
        "%s (%d samples): member descriptors %d-%d, member heap after GC %d-%d KiB,"
            + " test JVM heap after GC %d-%d KiB",
        what,
        in.size(),
        in.stream().mapToLong(Sample::memberFds).min().orElse(0),
        in.stream().mapToLong(Sample::memberFds).max().orElse(0),
        in.stream().mapToLong(Sample::memberHeapKb).min().orElse(0),
        in.stream().mapToLong(Sample::memberHeapKb).max().orElse(0),
        in.stream().mapToLong(Sample::clientHeapKb).min().orElse(0),
        in.stream().mapToLong(Sample::clientHeapKb).max().orElse(0));
  }

  /** Open file descriptors of process {@code pid}. */
  private static long fds(long pid) throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return s.count();
    }
  }

  /** The member's descriptor count once it stayed the same for 2 s (at most 60 s). */
  private static long settledFds(long pid) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    long last = fds(pid);
    while (System.nanoTime() < deadline) {
      Thread.sleep(2_000);
      long now = fds(pid);
      if (now == last) {
        return now;
      }
      last = now;
    }
    return last;
  }

  /** Waits (up to 60 s) for the member's descriptors to be at most {@code limit}; the count. */
  private static long awaitFdsAtMost(long pid, long limit) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    long now = fds(pid);
    while (now > limit && System.nanoTime() < deadline) {
      Thread.sleep(250);
      now = fds(pid);
    }
    return now;
  }

  /** The member JVM's heap used after a full GC, in KiB, by {@code jcmd}. */
  private static long memberHeapAfterGcKb(long pid) throws Exception {
    jcmd(pid, "GC.run");
    String info = jcmd(pid, "GC.heap_info");
    Matcher g1 = G1_USED.matcher(info);
    if (g1.find()) {
      return Long.parseLong(g1.group(1));
    }
    long used = 0;
    Matcher gen = GENERATION_USED.matcher(info);
    boolean found = false;
    while (gen.find()) {
      used += Long.parseLong(gen.group(1));
      found = true;
    }
    if (!found) {
      throw new IllegalStateException("jcmd GC.heap_info printed no heap use: " + info);
    }
    return used;
  }

  private static String jcmd(long pid, String command) throws Exception {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p =
        new ProcessBuilder(jcmd.toString(), Long.toString(pid), command)
            .redirectErrorStream(true)
            .start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(
          "jcmd " + pid + " " + command + " failed: " + new String(out, StandardCharsets.UTF_8));
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  /** The test JVM's heap used after a full GC, in KiB. */
  private static long clientHeapAfterGcKb() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1024;
  }
}
