package dev.keyring.client.cli;

import dev.keyring.client.config.HaGroupEntry;
import dev.keyring.client.ha.HaSynchronization;
import dev.keyring.protocol.cli.CliException;
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
    out.println(
        "Standby Members: "
            + (g.standbySerials().isEmpty() ? "<none>" : String.join(", ", g.standbySerials())));
    out.println();
    out.printf("%-14s %-20s %s%n", "Member S/N", "Member Label", "Status");
    out.printf("%-14s %-20s %s%n", "==========", "============", "======");
    for (String s : g.memberSerials()) {
      String label = labels.getOrDefault(s, "");
      String state = status.getOrDefault(s, "unknown");
      if (g.standbySerials().contains(s) && !state.contains("standby")) {
        state = state + ", standby";
      }
      out.printf("%-14s %-20s %s%n", s, label.isEmpty() ? "-" : label, state);
    }
  }

  /**
   * Refuses (exit code 1) when synchronization found objects held in different versions, naming
   * each; they were left as they are.
   */
  static void conflicts(HaSynchronization r) {
    if (r.conflicts().isEmpty()) {
      return;
    }
    throw new CliException(
        1,
        r.conflicts().size()
            + " objects are held in different versions and were not synchronized:\n  "
            + String.join("\n  ", r.conflicts()));
  }
}
