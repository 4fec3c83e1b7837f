/**
 * The client's transport: OkHttp over mutual TLS to one cluster member, with the client identity
 * and the cluster CA read from PEM files, TCP_NODELAY, a kept-alive connection pool and the retry
 * rules. Not part of the public API: classes here may change without notice.
 */
package dev.keyring.client.internal.transport;
