/**
 * Routing over the members of a cluster: the cluster view, one transport per member, the selection
 * rule, failover and recovery. Not part of the public API.
 */
package dev.keyring.client.internal.routing;
