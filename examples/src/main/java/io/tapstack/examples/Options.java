package io.tapstack.examples;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A small command-line parser: {@code --name value} and {@code --flag}, each declared with its help text,
 * so that every command prints a complete {@code --help}.
 */
final class Options
{
    private record Spec(String name, String argument, String help, String defaultValue)
    {
    }

    private final String command;
    private final String summary;
    private final Map<String, Spec> specs = new LinkedHashMap<>();
    private final Map<String, String> values = new LinkedHashMap<>();
    /** Every value given for each option, in order (an option may be given more than once; get() sees the last). */
    private final Map<String, java.util.List<String>> given = new LinkedHashMap<>();
    /** Declared positional arguments (name to help), in order; required unless --help. */
    private final Map<String, String> positionalSpecs = new LinkedHashMap<>();
    private final java.util.List<String> positionals = new java.util.ArrayList<>();

    Options(final String command, final String summary)
    {
        this.command = command;
        this.summary = summary;
        flag("help", "print this help and exit");
    }

    /** Declares {@code --name ARG}; a null default makes it required. */
    Options option(final String name, final String argument, final String help, final String defaultValue)
    {
        specs.put(name, new Spec(name, argument, help, defaultValue));
        return this;
    }

    /** Declares a required positional argument, such as ping's HOST; it may stand anywhere among the options. */
    Options positional(final String name, final String help)
    {
        positionalSpecs.put(name, help);
        return this;
    }

    Options flag(final String name, final String help)
    {
        specs.put(name, new Spec(name, null, help, null));
        return this;
    }

    /** Parses; throws {@link UsageException} with a message naming the problem. */
    Options parse(final String[] args, final int from)
    {
        for (int i = from; i < args.length; i++)
        {
            final String arg = args[i];
            if (!arg.startsWith("--"))
            {
                if (positionals.size() >= positionalSpecs.size())
                {
                    throw new UsageException(positionalSpecs.isEmpty() ? "takes no arguments besides options, not '"
                        + arg + "'" : "unexpected argument '" + arg + "' after " + String.join(" ",
                        positionalSpecs.keySet()));
                }
                positionals.add(arg);
                continue;
            }
            String name = arg.substring(2);
            String value = null;
            final int eq = name.indexOf('=');
            if (eq >= 0)
            {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            final Spec spec = specs.get(name);
            if (spec == null)
            {
                throw new UsageException("unknown option --" + name + " (--help lists the options)");
            }
            if (spec.argument() == null)
            {
                values.put(name, "true");
                continue;
            }
            if (value == null)
            {
                if (i + 1 >= args.length)
                {
                    throw new UsageException("--" + name + " needs a value (" + spec.argument() + ")");
                }
                value = args[++i];
            }
            values.put(name, value);
            given.computeIfAbsent(name, n -> new java.util.ArrayList<>()).add(value);
        }
        if (!has("help"))
        {
            for (final Spec spec : specs.values())
            {
                if (spec.argument() != null && spec.defaultValue() == null && !values.containsKey(spec.name()))
                {
                    throw new UsageException("--" + spec.name() + " " + spec.argument() + " is required");
                }
            }
            if (positionals.size() < positionalSpecs.size())
            {
                throw new UsageException(new java.util.ArrayList<>(positionalSpecs.keySet()).get(positionals.size())
                    + " is required");
            }
        }
        return this;
    }

    /** The {@code index}th positional argument (declaration order). */
    String positional(final int index)
    {
        return positionals.get(index);
    }

    boolean has(final String name)
    {
        return values.containsKey(name);
    }

    String get(final String name)
    {
        final String value = values.get(name);
        if (value != null)
        {
            return value;
        }
        final Spec spec = specs.get(name);
        return spec == null ? null : spec.defaultValue();
    }

    /** Every value given for {@code name}, in order; the default alone when it was not given. */
    java.util.List<String> getAll(final String name)
    {
        final java.util.List<String> all = given.get(name);
        if (all != null)
        {
            return all;
        }
        final String value = get(name);
        return value == null ? java.util.List.of() : java.util.List.of(value);
    }

    int getInt(final String name)
    {
        final String value = get(name);
        try
        {
            return Integer.parseInt(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new UsageException("--" + name + " must be a whole number, not '" + value + "'");
        }
    }

    /** A whole number in {@code min..max}; the message names the option and the range. */
    int getInt(final String name, final int min, final int max, final String what)
    {
        final String value = get(name);
        try
        {
            final int n = Integer.parseInt(value);
            if (n >= min && n <= max)
            {
                return n;
            }
        }
        catch (final NumberFormatException ex)
        {
            // below
        }
        throw new UsageException("--" + name + " must be " + what + ", not '" + value + "'");
    }

    /** A whole number in {@code min..max}; the message names the option and the range. */
    long getLong(final String name, final long min, final long max, final String what)
    {
        final String value = get(name);
        try
        {
            final long n = Long.parseLong(value);
            if (n >= min && n <= max)
            {
                return n;
            }
        }
        catch (final NumberFormatException ex)
        {
            // below
        }
        throw new UsageException("--" + name + " must be " + what + ", not '" + value + "'");
    }

    long getLong(final String name)
    {
        final String value = get(name);
        try
        {
            return Long.parseLong(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new UsageException("--" + name + " must be a whole number, not '" + value + "'");
        }
    }

    /** A probability from "2%" or "0.02". */
    double getProbability(final String name)
    {
        final String value = get(name).trim();
        try
        {
            final double p = value.endsWith("%")
                ? Double.parseDouble(value.substring(0, value.length() - 1)) / 100.0
                : Double.parseDouble(value);
            if (!(p >= 0 && p <= 1))
            {
                throw new UsageException("--" + name + " must be a percentage 0%..100% like 2% or a fraction like "
                    + "0.02, not '" + value + "'");
            }
            return p;
        }
        catch (final NumberFormatException ex)
        {
            throw new UsageException("--" + name + " must be a percentage 0%..100% like 2% or a fraction like "
                + "0.02, not '" + value + "'");
        }
    }

    String help()
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("usage: java -jar tapstack-examples.jar ").append(command);
        for (final String name : positionalSpecs.keySet())
        {
            sb.append(' ').append(name);
        }
        for (final Spec spec : specs.values())
        {
            if (spec.argument() != null && spec.defaultValue() == null)
            {
                sb.append(" --").append(spec.name()).append(' ').append(spec.argument());
            }
        }
        sb.append(" [options]\n\n").append(summary).append("\n\n");
        if (!positionalSpecs.isEmpty())
        {
            sb.append("arguments:\n");
            for (final Map.Entry<String, String> e : positionalSpecs.entrySet())
            {
                sb.append(String.format("  %-26s %s%n", e.getKey(), e.getValue()));
            }
            sb.append('\n');
        }
        sb.append("options:\n");
        for (final Spec spec : specs.values())
        {
            final String left = "  --" + spec.name() + (spec.argument() == null ? "" : " " + spec.argument());
            sb.append(String.format("%-28s %s", left, spec.help()));
            if (spec.defaultValue() != null)
            {
                sb.append(" (default ").append(spec.defaultValue()).append(')');
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** A mistake on the command line: printed as one line, exit status 2. */
    static final class UsageException extends RuntimeException
    {
        UsageException(final String message)
        {
            super(message);
        }
    }
}
