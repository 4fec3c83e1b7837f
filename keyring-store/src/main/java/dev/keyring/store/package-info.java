/**
 * The durable state of a member: {@link dev.keyring.store.KeyringStore} over an H2 file database or
 * PostgreSQL. Everything public here is API; the JDBC implementation is package-private.
 */
package dev.keyring.store;
