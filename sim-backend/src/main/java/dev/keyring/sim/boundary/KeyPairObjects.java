package dev.keyring.sim.boundary;

import dev.keyring.store.ObjectRecord;

/** The two objects a key pair generation creates. */
public record KeyPairObjects(ObjectRecord publicKey, ObjectRecord privateKey) {}
