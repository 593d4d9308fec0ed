package io.tapstack.examples;

import java.util.Arrays;

/** Entry point of {@code tapstack-examples.jar}: dispatches to a command. */
public final class Main
{
    private static final String USAGE = """
        usage: java -jar tapstack-examples.jar COMMAND [options]

        commands:
          ping-responder   answer ARP and ping on a TAP device until Ctrl-C
          echo             TCP and UDP echo (RFC 862) on port 7 until Ctrl-C
          http             HTTP/1.1 server on port 80: static files (--root DIR), /stats, until Ctrl-C
          discard          TCP and UDP discard (RFC 863) on port 9, logging each connection's rate
          chargen          TCP character generator (RFC 864) on port 19: a source for throughput tests
          ping             ICMP echo requests from the stack to a host, printed like ping(8)

        Run a command with --help for its options. Every command needs root (or CAP_NET_ADMIN) to open
        /dev/net/tun. Run it inside a network namespace, e.g.:
          ip netns add lab && ip netns exec lab java -jar tapstack-examples.jar ping-responder --tap tap0 --ip 10.0.0.2/24
        """;

    private Main()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length == 0 || "--help".equals(args[0]) || "-h".equals(args[0]) || "help".equals(args[0]))
        {
            System.out.print(USAGE);
            System.exit(args.length == 0 ? 2 : 0);
        }
        final String command = args[0];
        final String[] rest = Arrays.copyOfRange(args, 1, args.length);
        // before any command class loads: their static loggers read the settings once
        StackOptions.configureLogging(Arrays.asList(rest).contains("--verbose"));
        switch (command)
        {
            case "ping-responder" -> System.exit(PingResponder.run(rest));
            case "echo" -> System.exit(Echo.run(rest));
            case "http" -> System.exit(HttpServer.run(rest));
            case "discard" -> System.exit(Discard.run(rest));
            case "chargen" -> System.exit(Chargen.run(rest));
            case "ping" -> System.exit(PingCommand.run(rest));
            default ->
            {
                System.err.println("unknown command '" + command + "'\n");
                System.err.print(USAGE);
                System.exit(2);
            }
        }
    }
}
