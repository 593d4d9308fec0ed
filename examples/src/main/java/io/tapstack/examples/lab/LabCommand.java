package io.tapstack.examples.lab;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code lab NAME [--out DIR]}: one exercise with two stacks in this process over an impaired in-memory link, in
 * simulated time (no root, no TAP, seconds to run). It writes into DIR (default {@code lab-NAME}) the capture
 * ({@code NAME.pcap}), the trace in tcpdump's words ({@code NAME.trace.txt}), what it measured as CSV
 * ({@code NAME.csv}, {@code NAME.losses.csv}) and the charts ({@code NAME.png}, {@code NAME.svg}). {@code lab list}
 * names them; {@code lab all} runs each into its own directory under DIR. The pages in docs/labs/ go with them.
 */
public final class LabCommand
{
    /** Every lab, in the order a course takes them. */
    static final List<Lab> LABS = List.of(new NetworkLabs.ArpPing(), new NetworkLabs.Fragmentation(),
        new NetworkLabs.UdpEcho(), new TcpLabs.Handshake(), new TcpLabs.Loss(), new CongestionLabs.Congestion(),
        new TcpLabs.FlowControl(), new CongestionLabs.BandwidthDelay());

    private static final String USAGE = """
        usage: java -jar tapstack-examples.jar lab NAME [--out DIR] [--verbose]
               java -jar tapstack-examples.jar lab list
               java -jar tapstack-examples.jar lab all [--out DIR]

        Two stacks in this process (10.0.0.1 and 10.0.0.2) over an in-memory link with delay, loss or a rate limit,
        in simulated time: no root, no TAP, a few seconds. Writes into DIR (default lab-NAME; for all, one
        directory per lab under DIR, default labs): NAME.pcap, NAME.trace.txt (one line per frame, as tcpdump
        prints it; a lost frame is followed by a [lost ...] note), NAME.csv, NAME.losses.csv and the charts
        NAME.png and NAME.svg. Each lab has a page in docs/labs/.
        """;

    private LabCommand()
    {
    }

    /** Runs the command; returns the exit status (0 done, 1 the lab did not show what it should, 2 a usage error). */
    public static int run(final String[] args) throws IOException
    {
        return run(args, System.out);
    }

    /** As {@link #run(String[])}, printing to {@code out} (mistakes still go to standard error). */
    static int run(final String[] args, final PrintStream out) throws IOException
    {
        System.setProperty("java.awt.headless", "true"); // charts are drawn off-screen, with or without a display
        if (args.length == 0)
        {
            System.err.println("lab: a NAME is required: list, all or one of " + names());
            return 2;
        }
        if ("--help".equals(args[0]) || "-h".equals(args[0]))
        {
            out.print(USAGE);
            return 0;
        }
        final String name = args[0];
        Path dir = null;
        boolean verbose = false;
        for (int i = 1; i < args.length; i++)
        {
            if ("--out".equals(args[i]) && i + 1 < args.length)
            {
                dir = Path.of(args[++i]);
            }
            else if ("--verbose".equals(args[i]))
            {
                verbose = true; // Main has set the stack's log level to debug
            }
            else if ("--help".equals(args[i]) || "-h".equals(args[i]))
            {
                out.print(USAGE);
                return 0;
            }
            else
            {
                System.err.println("lab: unknown argument '" + args[i] + "' (lab NAME [--out DIR] [--verbose])");
                return 2;
            }
        }
        if (!verbose)
        {
            // the stacks' start-up lines would drown what the lab prints; the trace file has every frame
            System.setProperty("org.slf4j.simpleLogger.log.io.tapstack", "warn");
        }
        if ("list".equals(name))
        {
            for (final Lab lab : LABS)
            {
                out.printf("%-17s %s%n", lab.name(), lab.summary());
            }
            return 0;
        }
        if ("all".equals(name))
        {
            final Path root = dir != null ? dir : Path.of("labs");
            int status = 0;
            for (final Lab lab : LABS)
            {
                status = Math.max(status, run(lab, root.resolve(lab.name()), out));
            }
            return status;
        }
        for (final Lab lab : LABS)
        {
            if (lab.name().equals(name))
            {
                return run(lab, dir != null ? dir : Path.of("lab-" + name), out);
            }
        }
        System.err.println("lab: unknown lab '" + name + "': it is list, all or one of " + names());
        return 2;
    }

    /** Runs one lab into {@code dir}, printing what it saw and the files it wrote; returns the exit status. */
    static int run(final Lab lab, final Path dir, final PrintStream out) throws IOException
    {
        out.println("== lab " + lab.name() + ": " + lab.summary());
        final Lab.Result result = lab.run(dir, out);
        out.println("files in " + dir + ": " + String.join(" ", listing(dir)));
        if (!result.ok())
        {
            out.println("lab " + lab.name() + ": the run did not show what its page promises (see the files)");
            return 1;
        }
        return 0;
    }

    private static List<String> listing(final Path dir) throws IOException
    {
        try (var files = java.nio.file.Files.list(dir))
        {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String names()
    {
        return String.join(", ", LABS.stream().map(Lab::name).toList());
    }
}
