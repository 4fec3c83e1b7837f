package dev.keyring.e2e.provider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.ProviderOperation;
import dev.keyring.testing.wycheproof.WycheproofSubject;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One vector file through the Keyring provider on the {@link WycheproofKeyring}: the family says
 * how a case maps onto the JCA; each covered case that succeeds must also have made the provider
 * ask the cluster for the family's operation, and the file must leave no object on the keyring.
 */
final class WycheproofProviderSubject implements WycheproofSubject {
  private final WycheproofProviderFamily family;
  private final WycheproofKeyring keyring;
  private Map<ProviderOperation, Long> countsAtStart;

  WycheproofProviderSubject(WycheproofProviderFamily family, WycheproofKeyring keyring) {
    this.family = family;
    this.keyring = keyring;
  }

  private KeyringProvider provider() {
    return keyring.provider();
  }

  @Override
  public String groupType() {
    return family.groupType();
  }

  @Override
  public String notCovered(JsonNode group, JsonNode test) {
    return family.notCovered(new WycheproofCase(keyring, group, test));
  }

  @Override
  public void groupStarts(int groupNo) throws Exception {
    if (countsAtStart == null) {
      countsAtStart = provider().operationCounts();
    }
    keyring.releaseImported(); // the previous group's keys
  }

  @Override
  public Case prepare(JsonNode group, JsonNode test) {
    WycheproofCase c = new WycheproofCase(keyring, group, test);
    return new Case() {
      @Override
      public void run() throws Exception {
        long before = provider().operationCount(family.operation());
        family.run(c);
        if (provider().operationCount(family.operation()) <= before) {
          throw new AssertionError(
              "succeeded without asking the cluster for " + family.operation());
        }
      }

      @Override
      public Exception cleanUp() {
        return c.destroyMade();
      }
    };
  }

  @Override
  public void finish() throws Exception {
    keyring.releaseImported();
  }

  @Override
  public String report() {
    if (countsAtStart == null) {
      return "";
    }
    Map<ProviderOperation, Long> now = provider().operationCounts();
    return "\n  cluster operations: "
        + now.entrySet().stream()
            .filter(e -> e.getValue() > countsAtStart.get(e.getKey()))
            .map(e -> e.getKey() + " " + (e.getValue() - countsAtStart.get(e.getKey())))
            .collect(Collectors.joining(", "));
  }

  @Override
  public String leftBehind() throws Exception {
    int left = keyring.objectsOnKeyring();
    return left == 0 ? null : left + " object(s) left on the keyring";
  }
}
