package dev.keyring.client.testing;

import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.PartResult;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.channel.AttemptScope;
import dev.keyring.client.channel.MemberChannel;
import dev.keyring.client.channel.SessionInfo;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link MemberChannel} that keeps sessions and logins like a member and fails on cue, for tests
 * of the recovering channel: each call is recorded by name; {@link #failNext} makes the next call
 * of a method throw; {@link #restart()} forgets every session, as a restarted member does. A call
 * on a session it does not know is refused with CKR_SESSION_HANDLE_INVALID, a crypto or object call
 * on a session not logged in with CKR_USER_NOT_LOGGED_IN; otherwise calls answer fixed values.
 * {@link #hangNext} makes a call hang like a paused member, until recovery abandons it; a call made
 * in an attempt recovery already abandoned fails at once, as a cancelled HTTP exchange does.
 */
public final class ScriptedChannel implements InvocationHandler {
  /** The keyring every session is opened on. */
  public static final UUID KEYRING = UUID.fromString("6b1f1d7e-6a5c-4d1e-9a2f-0c3b7e5d9a11");

  /** The object every object call answers. */
  public static final KeyringObject OBJECT =
      new KeyringObject(7, ObjectClass.SECRET_KEY, Attributes.empty());

  private final String name;
  private final MemberChannel channel;
  private final List<String> calls = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, Deque<Exception>> failures = new ConcurrentHashMap<>();
  // session id -> logged in
  private final Map<String, Boolean> sessions = new ConcurrentHashMap<>();
  private final AtomicInteger ids = new AtomicInteger();
  private final AtomicInteger abandoned = new AtomicInteger();
  private final AtomicInteger abandonsBlocked = new AtomicInteger();

  public ScriptedChannel(String name) {
    this.name = name;
    this.channel =
        (MemberChannel)
            Proxy.newProxyInstance(
                MemberChannel.class.getClassLoader(), new Class<?>[] {MemberChannel.class}, this);
  }

  /** The channel to hand to a router. */
  public MemberChannel channel() {
    return channel;
  }

  /** Makes the next call of {@code method} (after those already scripted) throw {@code e}. */
  public ScriptedChannel failNext(String method, Exception e) {
    failures.computeIfAbsent(method, k -> new ArrayDeque<>()).add(e);
    return this;
  }

  /**
   * Makes the next call of {@code method} (after those already scripted) hang, as a member paused
   * mid-call: it answers after {@code max}, unless recovery abandons the attempt first ({@link
   * AttemptScope}), in which case it fails as a cancelled exchange does.
   */
  public ScriptedChannel hangNext(String method, Duration max) {
    failures.computeIfAbsent(method, k -> new ArrayDeque<>()).add(new Hang(max));
    return this;
  }

  /**
   * As {@link #hangNext(String, Duration)}, but the abandon action itself blocks until {@code
   * release} opens, as closing a connection whose peer is paused can: recovery's abandon of this
   * call does not return before then, nor does the call.
   */
  public ScriptedChannel hangNextAbandonBlocking(
      String method, Duration max, CountDownLatch release) {
    failures.computeIfAbsent(method, k -> new ArrayDeque<>()).add(new Hang(max, release));
    return this;
  }

  /** Abandon actions started and not yet returned (see {@link #hangNextAbandonBlocking}). */
  public int abandonsBlocked() {
    return abandonsBlocked.get();
  }

  /** Calls abandoned by recovery while they hung. */
  public int abandoned() {
    return abandoned.get();
  }

  /** A scripted hang, queued among the failures. */
  private static final class Hang extends Exception {
    private static final long serialVersionUID = 1L;
    final Duration max;
    final CountDownLatch release;

    Hang(Duration max) {
      this(max, null);
    }

    Hang(Duration max, CountDownLatch release) {
      super("hang", null, false, false);
      this.max = max;
      this.release = release;
    }
  }

  private void hang(Hang h) throws TransportException, InterruptedException {
    CountDownLatch stop = new CountDownLatch(1);
    AttemptScope scope = AttemptScope.current();
    if (h.release == null) {
      scope.onAbandon(stop::countDown);
    } else {
      scope.onAbandon(
          () -> {
            // the exchange ends only once the action returns, as a close that blocks
            abandonsBlocked.incrementAndGet();
            try {
              h.release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            } finally {
              abandonsBlocked.decrementAndGet();
              stop.countDown();
            }
          });
    }
    if (stop.await(h.max.toNanos(), TimeUnit.NANOSECONDS)) {
      abandoned.incrementAndGet();
      throw new TransportException(
          TransportException.Kind.IO, name + ": Canceled", null, true, true);
    }
  }

  /** The calls made so far, by method name, in order. */
  public List<String> calls() {
    synchronized (calls) {
      return List.copyOf(calls);
    }
  }

  /** How many calls of {@code method} were made. */
  public long count(String method) {
    return calls().stream().filter(method::equals).count();
  }

  /** Forgets every session and login, as a member that restarted. */
  public void restart() {
    sessions.clear();
  }

  /** Sessions open on this member. */
  public int openSessions() {
    return sessions.size();
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Exception {
    String m = method.getName();
    if (method.getDeclaringClass() == Object.class) {
      switch (m) {
        case "equals":
          return proxy == args[0];
        case "hashCode":
          return System.identityHashCode(proxy);
        default:
          return "ScriptedChannel[" + name + "]";
      }
    }
    if (m.equals("name")) {
      return name;
    }
    calls.add(m);
    if (AttemptScope.current().abandoned()) {
      // as the HTTP transport: an exchange started in an abandoned attempt is cancelled at once
      abandoned.incrementAndGet();
      throw new TransportException(
          TransportException.Kind.IO, name + ": Canceled", null, true, true);
    }
    Deque<Exception> queued = failures.get(m);
    Exception failure = queued == null ? null : queued.poll();
    if (failure instanceof Hang) {
      hang((Hang) failure);
    } else if (failure != null) {
      throw failure;
    }
    switch (m) {
      case "health":
        return null;
      case "slots":
        return List.of();
      case "openSession":
        String id = name + "-s" + ids.incrementAndGet();
        sessions.put(id, false);
        return new SessionInfo(id, KEYRING, "app");
      default:
        break;
    }
    String sid = (String) args[0];
    Boolean loggedIn = sessions.get(sid);
    if (loggedIn == null) {
      throw new HsmException(ResultCode.CKR_SESSION_HANDLE_INVALID, name + " knows no " + sid);
    }
    switch (m) {
      case "closeSession":
        sessions.remove(sid);
        return null;
      case "login":
        sessions.put(sid, true);
        return null;
      case "logout":
        if (!loggedIn) {
          throw new HsmException(ResultCode.CKR_USER_NOT_LOGGED_IN, sid + " is not logged in");
        }
        sessions.put(sid, false);
        return null;
      default:
        break;
    }
    if (!loggedIn) {
      throw new HsmException(ResultCode.CKR_USER_NOT_LOGGED_IN, sid + " is not logged in");
    }
    Class<?> type = method.getReturnType();
    if (type == byte[].class) {
      return new byte[] {1};
    } else if (type == boolean.class) {
      return true;
    } else if (type == String.class) {
      return "op-1";
    } else if (type == PartResult.class) {
      return (Boolean) args[3] ? new PartResult(new byte[] {2}, false) : PartResult.NONE;
    } else if (type == KeyringObject.class) {
      return OBJECT;
    } else if (type == KeyringKeyPair.class) {
      return new KeyringKeyPair(OBJECT, OBJECT);
    } else if (type == List.class) {
      return List.of(OBJECT);
    }
    return null;
  }
}
