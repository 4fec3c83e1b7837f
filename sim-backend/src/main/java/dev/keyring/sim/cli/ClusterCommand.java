package dev.keyring.sim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandGroup;
import dev.keyring.protocol.cli.Secrets;
import dev.keyring.protocol.cli.Table;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cluster create|list|member|group}: the cluster this member belongs to. */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "The cluster: create it, list it, its members and affinity groups.",
    subcommands = {
      ClusterCommand.Create.class,
      ClusterCommand.Join.class,
      ClusterCommand.ListClusters.class,
      ClusterCommand.State.class,
      ClusterCommand.Member.class,
      ClusterCommand.Group.class,
      BackupCommand.class,
      RestoreCommand.class
    })
final class ClusterCommand extends CommandGroup {

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Creates a cluster on this member, which becomes its primary (POST /api/clusters), as the"
            + " HSM SO. An appliance holds one cluster.",
        "Next: authorize the member (cluster member authorize), then create keyrings."
      })
  static final class Create extends AdminCommand {
    @Option(
        names = {"-label", "--label"},
        required = true,
        paramLabel = "LABEL",
        description = "The cluster's label.")
    String label;

    @Option(
        names = {"-password", "--password"},
        paramLabel = "SO_PASSWORD",
        description = "The HSM SO's password (asked for when absent).")
    String soPassword;

    @Override
    void run(AdminConnection c) {
      label(label, "-label");
      String so = Secrets.of(soPassword, "-password", "the HSM SO's password");
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("authentication", credential("SO", so, null));
      body.put("clusterLabel", label);
      JsonNode r = c.send("POST", "/api/clusters", body);
      out().println("Cluster '" + r.path("clusterLabel").asText() + "' created.");
      fields(
          out(),
          "Cluster ID",
          text(r.path("clusterUUID")),
          "Member ID",
          text(r.path("memberID")),
          "Member Name",
          text(r.path("memberName")));
      if (r.hasNonNull("warning")) {
        err().println("warning: " + r.path("warning").asText());
      }
    }
  }

  @Command(
      name = "join",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Joins this member to a cluster through one of its members (PUT /api/clusters/{id},"
            + " action join), as this member's partition CO.",
        "Refused when the clocks differ by more than 30 s, the cloning domains differ, this"
            + " member already has a cluster, or another join is in progress. The SMK is cloned"
            + " into this member's partition, the cluster's appliance users replace this member's,"
            + " and the cluster's keyrings are copied here before it serves clients."
      })
  static final class Join extends AdminCommand {
    @Option(
        names = {"-clusterid", "--clusterid"},
        required = true,
        paramLabel = "UUID",
        description = "The ID of the cluster to join.")
    String clusterId;

    @Option(
        names = {"-remoteip", "--remoteip"},
        required = true,
        paramLabel = "IP",
        description = "The IP address of a member of that cluster.")
    String remoteIp;

    @Option(
        names = {"-remoteport", "--remoteport"},
        paramLabel = "PORT",
        description = "Its admin API port (default 50070).")
    Integer remotePort;

    @Option(
        names = {"-remotepassword", "--remotepassword"},
        paramLabel = "PASSWORD",
        description = "Its admin user's password (asked for when absent).")
    String remotePassword;

    @Option(
        names = {"-remotefingerprint", "--remotefingerprint"},
        paramLabel = "SHA256",
        description =
            "The SHA-256 fingerprint of its admin certificate, to pin (else trusted on first"
                + " use and printed).")
    String remoteFingerprint;

    @Mixin CommonOptions.Partition partitionOption;

    @Mixin CommonOptions.CoPassword coPassword;

    @Override
    void run(AdminConnection c) {
      String partition = partitionOption.label();
      String id = idOrLabel(clusterId, "-clusterid");
      String co = coPassword.get();
      String remote = Secrets.of(remotePassword, "-remotepassword", "the remote admin password");
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("action", "join");
      body.put("authentication", credential("CO", co, partition));
      body.put("remoteClusterIpAddress", remoteIp);
      if (remotePort != null) {
        body.put("remoteAdminPort", remotePort);
      }
      body.put("remoteAdminPassword", remote);
      if (remoteFingerprint != null) {
        body.put("remoteCertificateFingerprint", remoteFingerprint);
      }
      err().println("joining cluster " + id + " through " + remoteIp + " ...");
      JsonNode r = c.send("PUT", "/api/clusters/" + id, body);
      out().println("Joined cluster '" + r.path("clusterLabel").asText() + "'.");
      fields(
          out(),
          "Member ID",
          text(r.path("memberID")),
          "Member Name",
          text(r.path("memberName")),
          "Keyrings copied",
          r.path("keyrings").asText(),
          "Copy time (ms)",
          r.path("copyMillis").asText(),
          "Remote admin certificate SHA-256",
          text(r.path("remoteCertificateFingerprint")));
    }
  }

  @Command(
      name = "state",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Shows the replicated state of the member you talk to (GET /api/clusters/{id}/state):"
            + " its log position (epoch, sequence), its keyrings and the digest of its keyrings"
            + " and objects.",
        "Converged members show the same digest."
      })
  static final class State extends AdminCommand {
    @Mixin ClusterOption cluster;

    @Override
    void run(AdminConnection c) {
      JsonNode r =
          c.get(
              "/api/clusters/"
                  + AdminCommand.clusterId(c, cluster == null ? null : cluster.clusterId)
                  + "/state");
      fields(
          out(),
          "Member Name",
          text(r.path("memberName")),
          "Member ID",
          text(r.path("memberID")),
          "Epoch",
          r.path("epoch").asText(),
          "Log Position",
          r.path("logEpoch").asText() + ":" + r.path("sequence").asText(),
          "Keyrings",
          r.path("keyrings").asText(),
          "Mode",
          text(r.path("mode")),
          "Primary",
          r.path("primaryNode").asBoolean() ? "True" : "False",
          "Open Sessions",
          r.path("openSessions").asText(),
          "Crypto Requests",
          r.path("cryptoRequests").asText(),
          "State Digest",
          text(r.path("digest")));
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = "Lists the cluster this member belongs to (GET /api/clusters).")
  static final class ListClusters extends AdminCommand {
    @Override
    void run(AdminConnection c) {
      Table t = new Table("Label", "Cluster ID", "Created");
      for (JsonNode n : list(c.get("/api/clusters"))) {
        t.row(text(n.path("clusterLabel")), text(n.path("clusterUUID")), text(n.path("createdAt")));
      }
      if (t.size() == 0) {
        out().println("This member belongs to no cluster.");
        return;
      }
      t.print(out());
    }
  }

  /** {@code -clusterid}, optional: the member's own cluster by default. */
  static final class ClusterOption {
    @Option(
        names = {"-clusterid", "--clusterid"},
        paramLabel = "UUID",
        description = "The cluster's ID (default: the cluster of the member you talk to).")
    String clusterId;
  }

  @Command(
      name = "member",
      mixinStandardHelpOptions = true,
      description = "The cluster's members: list, show, authorize, configure.",
      subcommands = {
        Member.ListMembers.class,
        Member.Show.class,
        Member.Authorize.class,
        Member.Config.class,
        Member.Leave.class,
        Member.Delete.class
      })
  static final class Member extends CommandGroup {

    static String path(AdminConnection c, ClusterOption o) {
      return "/api/clusters/"
          + AdminCommand.clusterId(c, o == null ? null : o.clusterId)
          + "/members";
    }

    @Command(
        name = "list",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Lists the cluster's members (GET /api/clusters/{id}/members).",
        footer = {
          "",
          "Markers: P primary, * the member you talk to (local), x not visible to it, R"
              + " read-only."
        })
    static final class ListMembers extends AdminCommand {
      @Mixin ClusterOption cluster;

      @Override
      void run(AdminConnection c) {
        Table t = new Table("", "Member ID", "Name", "IP Address", "Group", "Mode", "Authorized");
        for (JsonNode m : list(c.get(path(c, cluster)))) {
          t.row(
              markers(m),
              text(m.path("memberID")),
              text(m.path("memberName")),
              text(m.path("ipAddress")),
              text(m.path("group")),
              text(m.path("mode")),
              yesNo(m.path("authorized")));
        }
        t.print(out());
        out().println("(P primary, * local, x not visible, R its cluster service needs a restart)");
      }

      static String markers(JsonNode m) {
        return (m.path("primaryNode").asBoolean() ? "P" : " ")
            + (m.path("local").asBoolean() ? "*" : " ")
            + (m.path("visibleToServicingNode").asBoolean(true) ? " " : "x")
            + (m.path("restartService").asBoolean(false) ? "R" : " ");
      }
    }

    @Command(
        name = "show",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Shows one member (GET /api/clusters/{id}/members/{memberid}).")
    static final class Show extends AdminCommand {
      @Mixin CommonOptions.MemberId memberId;

      @Mixin ClusterOption cluster;

      @Override
      void run(AdminConnection c) {
        JsonNode m = c.get(path(c, cluster) + "/" + memberId.id());
        fields(
            out(),
            "Member ID",
            text(m.path("memberID")),
            "Member Name",
            text(m.path("memberName")),
            "Label",
            text(m.path("label")),
            "Cluster ID",
            text(m.path("clusterID")),
            "IP Address",
            text(m.path("ipAddress")),
            "Active",
            bool(m.path("memberActive")),
            "Visible",
            bool(m.path("visibleToServicingNode")),
            "Primary",
            bool(m.path("primaryNode")),
            "Mode",
            text(m.path("mode")),
            "Restart Required",
            bool(m.path("restartService")),
            "Version",
            text(m.path("version")),
            "Group",
            text(m.path("group")),
            "Authorized",
            bool(m.path("authorized")),
            "Local",
            bool(m.path("local")));
      }

      private static String bool(JsonNode n) {
        return n.asBoolean() ? "True" : "False";
      }
    }

    /**
     * An action on a member taken with the partition CO's credential: {@code -partition}, {@code
     * -memberid}, {@code -copassword} and {@code -clusterid}.
     */
    abstract static class MemberCoAction extends AdminCommand {
      @Mixin CommonOptions.Partition partitionOption;

      @Mixin CommonOptions.MemberId memberId;

      @Mixin CommonOptions.CoPassword coPassword;

      @Mixin ClusterOption cluster;

      /**
       * Checks the options, asks for the CO's password when absent, and sends {@code action} to the
       * member's resource.
       */
      JsonNode act(AdminConnection c, String method, String action) {
        String partition = partitionOption.label();
        String member = memberId.id();
        String co = coPassword.get();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("action", action);
        body.put("authentication", credential("CO", co, partition));
        return c.send(method, path(c, cluster) + "/" + member, body);
      }
    }

    @Command(
        name = "authorize",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
          "Authorizes a member to create objects on the cluster's keyrings, with the partition"
              + " CO's credential (PUT /api/clusters/{id}/members/{memberid}, action authorize).",
          "Needed for the first member of a cluster, and for a member that failed and came back"
              + " with no other authorized member active (a single member, or the first back"
              + " when every member failed)."
        })
    static final class Authorize extends MemberCoAction {
      @Override
      void run(AdminConnection c) {
        JsonNode m = act(c, "PUT", "authorize");
        out()
            .println(
                "member "
                    + m.path("memberName").asText()
                    + " ("
                    + m.path("memberID").asText()
                    + ") authorized: "
                    + (m.path("authorized").asBoolean() ? "yes" : "no"));
      }
    }

    @Command(
        name = "config",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
          "Moves a member to an affinity group (created when new) and/or promotes it to primary"
              + " (PUT /api/clusters/{id}/members/{memberid}, action config).",
          "Only a read-write member can be promoted."
        })
    static final class Config extends AdminCommand {
      @Mixin CommonOptions.MemberId memberId;

      @Option(
          names = {"-group", "--group"},
          paramLabel = "NAME",
          description = "The affinity group to move it to.")
      String group;

      @Option(
          names = {"-primary", "--primary"},
          description = "Promote it to primary.")
      boolean primary;

      @Mixin ClusterOption cluster;

      @Override
      void run(AdminConnection c) {
        String member = memberId.id();
        if (group == null && !primary) {
          throw new CliException(2, "give -group NAME, -primary or both");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("action", "config");
        if (group != null) {
          body.put("group", label(group, "-group"));
        }
        if (primary) {
          body.put("primary", true);
        }
        JsonNode m = c.send("PUT", path(c, cluster) + "/" + member, body);
        out()
            .println(
                "member "
                    + m.path("memberName").asText()
                    + ": group "
                    + m.path("group").asText()
                    + ", primary "
                    + (m.path("primaryNode").asBoolean() ? "True" : "False"));
      }
    }

    @Command(
        name = "leave",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
          "Makes the member you talk to leave the cluster (PATCH"
              + " /api/clusters/{id}/members/{memberid}, action leave), as its partition CO.",
          "Every other member must be online; the primary must hand its role over first. The"
              + " member then forgets the cluster: its keyrings, the cluster CA and the SMK."
        })
    static final class Leave extends MemberCoAction {
      @Override
      void run(AdminConnection c) {
        act(c, "PATCH", "leave");
        out().println("member " + memberId.id() + " left the cluster");
      }
    }

    @Command(
        name = "delete",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
          "Deletes an unrecoverable member from the cluster (DELETE"
              + " /api/clusters/{id}/members/{memberid}), from another member, as the partition"
              + " CO.",
          "Only a member that is not visible can be deleted. Deleting the primary promotes the"
              + " visible member holding the most of the log. A deleted member must factory-reset"
              + " its cluster service before it joins again."
        })
    static final class Delete extends AdminCommand {
      @Mixin CommonOptions.MemberId memberId;

      @Mixin CommonOptions.CoPassword coPassword;

      @Mixin ClusterOption cluster;

      @Override
      void run(AdminConnection c) {
        String member = memberId.id();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("authentication", coPassword.credential());
        c.send("DELETE", path(c, cluster) + "/" + member, body);
        out().println("member " + member + " deleted from the cluster");
      }
    }
  }

  @Command(
      name = "group",
      mixinStandardHelpOptions = true,
      description = "The cluster's affinity groups.",
      subcommands = {Group.ListGroups.class})
  static final class Group extends CommandGroup {
    @Command(
        name = "list",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Lists the affinity groups and their members (from the member list).")
    static final class ListGroups extends AdminCommand {
      @Mixin ClusterOption cluster;

      @Override
      void run(AdminConnection c) {
        Map<String, StringBuilder> groups = new TreeMap<>();
        List<JsonNode> members = list(c.get(Member.path(c, cluster)));
        for (JsonNode m : members) {
          StringBuilder sb =
              groups.computeIfAbsent(m.path("group").asText(), g -> new StringBuilder());
          if (sb.length() > 0) {
            sb.append(", ");
          }
          sb.append(m.path("memberName").asText());
        }
        Table t = new Table("Group", "Members");
        groups.forEach((g, names) -> t.row(g, names.toString()));
        t.print(out());
      }
    }
  }
}
