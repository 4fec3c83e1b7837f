package dev.keyring.sim.boundary;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Which crypto engine serves each family inside the boundary, and why the faster candidates were
 * passed over where they were.
 *
 * @param engines family → engine name ({@code ACCP}, {@code BC} or {@code JDK})
 * @param passedOver family → the reasons candidates ahead of the chosen one were not used
 */
public record EngineReport(
    Map<EngineFamily, String> engines, Map<EngineFamily, String> passedOver) {
  public EngineReport {
    engines = Collections.unmodifiableMap(new EnumMap<>(engines));
    passedOver = Collections.unmodifiableMap(new EnumMap<>(passedOver));
  }

  /** One line per family, for logs and health output. */
  public String describe() {
    return engines.entrySet().stream()
        .map(
            e ->
                String.format(
                    "%-17s %-4s%s",
                    e.getKey(),
                    e.getValue(),
                    passedOver.containsKey(e.getKey())
                        ? "  (passed over: " + passedOver.get(e.getKey()) + ")"
                        : ""))
        .collect(Collectors.joining("\n"));
  }
}
