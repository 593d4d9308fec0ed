package io.tapstack.examples;

/** Options the server commands share beyond {@link StackOptions}. */
final class Servers
{
    /** Connections served at once before new ones are turned away. */
    static final String DEFAULT_MAX_CLIENTS = "256";

    private Servers()
    {
    }

    static Options declare(final Options options, final int defaultPort)
    {
        return options
            .option("port", "N", "port to serve on", Integer.toString(defaultPort))
            .option("max-clients", "N", "TCP connections served at once (a thread each); more are turned away",
                DEFAULT_MAX_CLIENTS);
    }
}
