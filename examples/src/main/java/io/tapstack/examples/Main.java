package io.tapstack.examples;

import java.util.Arrays;

/** Entry point of {@code tapstack-examples.jar}: dispatches to a command. */
public final class Main
{
    private static final String USAGE = """
        usage: java -jar tapstack-examples.jar COMMAND [options]

        commands:
          ping-responder   answer ARP and ping on a TAP device until Ctrl-C

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
        switch (command)
        {
            case "ping-responder" -> System.exit(PingResponder.run(rest));
            default ->
            {
                System.err.println("unknown command '" + command + "'\n");
                System.err.print(USAGE);
                System.exit(2);
            }
        }
    }
}
