package dev.keyring.protocol;

import java.util.regex.Pattern;

/**
 * How error messages name a field the request itself named (an unknown JSON field, an attribute
 * that is not a keyring attribute): quoted when it looks like a field name, and otherwise not
 * shown, so that a message never carries a long or odd value from the request. Values are never
 * shown.
 */
public final class FieldNames {
  /** The longest field name an error message repeats. */
  public static final int MAX_SHOWN = 64;

  private static final Pattern SHOWN = Pattern.compile("[A-Za-z0-9_.\\-]{1," + MAX_SHOWN + "}");

  private FieldNames() {}

  /** {@code 'name'} for a plain name of at most {@value #MAX_SHOWN} characters, else a stand-in. */
  public static String quoted(String name) {
    if (name != null && SHOWN.matcher(name).matches()) {
      return "'" + name + "'";
    }
    return "(a name not shown)";
  }
}
