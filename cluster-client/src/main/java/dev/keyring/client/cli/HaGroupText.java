package dev.keyring.client.cli;

import dev.keyring.client.config.HaGroupEntry;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

/** How {@code hagroup} commands print a group: its numbers, its members and their state. */
final class HaGroupText {
  private HaGroupText() {}

  static void print(
      PrintWriter out, HaGroupEntry g, Map<String, String> status, Map<String, String> labels) {
    print(out, g, status, labels, null);
  }

  /**
   * @param needingSync the members that lack objects, or null when not known
   */
  static void print(
      PrintWriter out,
      HaGroupEntry g,
      Map<String, String> status,
      Map<String, String> labels,
      List<String> needingSync) {
    out.println();
    out.println("HA Group Label:  " + g.label());
    out.println("HA Group Number: " + g.serialNumber());
    out.println("HA Group Slot:   " + g.label() + " (KeyStore slot=" + g.label() + ")");
    out.println("Synchronization: enabled");
    out.println("Group Members:   " + String.join(", ", g.memberSerials()));
    out.println(
        "Needs sync:      "
            + (needingSync == null ? "unknown" : needingSync.isEmpty() ? "no" : "yes"));
    out.println("Standby Members: <none>");
    out.println();
    out.printf("%-14s %-20s %s%n", "Member S/N", "Member Label", "Status");
    out.printf("%-14s %-20s %s%n", "==========", "============", "======");
    for (String s : g.memberSerials()) {
      String label = labels.getOrDefault(s, "");
      out.printf(
          "%-14s %-20s %s%n", s, label.isEmpty() ? "-" : label, status.getOrDefault(s, "unknown"));
    }
  }
}
