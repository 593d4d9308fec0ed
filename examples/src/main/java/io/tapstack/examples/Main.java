package io.tapstack.examples;

import java.util.Arrays;

/** Entry point of {@code tapstack-examples.jar}: dispatches to a command. */
public final class Main
{
    private static final String USAGE = """
        usage: java -jar tapstack-examples.jar COMMAND [options]

        commands:
          demo             two stacks in this process (no root, no TAP): a ping, an HTTP fetch, the TCP
                           conversation as a sequence diagram; start here
          lab              an exercise in simulated time (no root, no TAP): pcap, trace, CSV and charts of
                           ARP, fragments, UDP, TCP's handshake, loss, congestion, flow control (lab list)
          ping-responder   answer ARP and ping on a TAP device until Ctrl-C
          echo             TCP and UDP echo (RFC 862) on port 7 until Ctrl-C
          http             HTTP/1.1 server on port 80: static files (--root DIR), /stats, until Ctrl-C
          discard          TCP and UDP discard (RFC 863) on port 9, logging each connection's rate
          chargen          TCP character generator (RFC 864) on port 19: a source for throughput tests
          services         echo, discard, chargen (TCP and UDP) and HTTP at once, asynchronously: 10,000
                           connections on a few threads
          ping             ICMP echo requests from the stack to a host, printed like ping(8)
          tunnel           bridge a kernel TAP to a UDP peer, one frame per datagram (a stack run with
                           --udp-tunnel LOCAL_PORT:HOST:PORT needs no TAP and no root)
          forward          user-mode networking for a guest on a TAP (a namespace or VM): the stack is its
                           gateway, its TCP and UDP leave through this host's sockets

        Run a command with --help for its options. Every command but demo and lab needs root (or CAP_NET_ADMIN) to
        open /dev/net/tun. Run it inside a network namespace, e.g.:
          ip netns add lab && ip netns exec lab java -jar tapstack-examples.jar ping-responder --tap tap0 --ip 10.0.0.2/24
        """;

    private Main()
    {
    }

    /** The commands, for the one-line message after a mistake. */
    private static final String COMMANDS =
        "demo, lab, ping-responder, echo, http, discard, chargen, services, ping, tunnel or forward";

    public static void main(final String[] args)
    {
        System.exit(run(args));
    }

    /**
     * Runs a command and returns its exit status: 0, 1 when it ran and failed (no reply, no TAP), 2 for a mistake on
     * the command line (one line on stderr naming it; the help only with --help). No stack trace reaches the user.
     */
    static int run(final String[] args)
    {
        if (args.length > 0 && ("--help".equals(args[0]) || "-h".equals(args[0]) || "help".equals(args[0])))
        {
            System.out.print(USAGE);
            return 0;
        }
        if (args.length == 0)
        {
            System.err.println("tapstack-examples: a COMMAND is required: " + COMMANDS + " (--help for more)");
            return 2;
        }
        final String command = args[0];
        final String[] rest = Arrays.copyOfRange(args, 1, args.length);
        // before any command class loads: their static loggers read the settings once
        StackOptions.configureLogging(Arrays.asList(rest).contains("--verbose"));
        try
        {
            return switch (command)
            {
                case "demo" -> Demo.run(rest);
                case "lab" -> io.tapstack.examples.lab.LabCommand.run(rest);
                case "ping-responder" -> PingResponder.run(rest);
                case "echo" -> Echo.run(rest);
                case "http" -> HttpServer.run(rest);
                case "discard" -> Discard.run(rest);
                case "chargen" -> Chargen.run(rest);
                case "services" -> Services.run(rest);
                case "ping" -> PingCommand.run(rest);
                case "tunnel" -> Tunnel.run(rest);
                case "forward" -> Forward.run(rest);
                default ->
                {
                    System.err.println("tapstack-examples: unknown command '" + command + "': it is " + COMMANDS
                        + " (--help for more)");
                    yield 2;
                }
            };
        }
        catch (final Options.UsageException ex)
        {
            System.err.println(command + ": " + ex.getMessage());
            return 2;
        }
        catch (final InterruptedException ex)
        {
            return 130;
        }
        catch (final Exception ex)
        {
            // a failure no command foresaw: its words, not a stack trace (--verbose logs more)
            System.err.println(command + ": " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            return 1;
        }
    }
}
