package io.tapstack.examples;

import io.tapstack.NetStack;
import io.tapstack.Simulation;
import io.tapstack.StackConfig;
import io.tapstack.dev.MemoryLink;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.time.ManualClock;
import io.tapstack.trace.PcapWriter;
import io.tapstack.trace.SequenceTrace;
import io.tapstack.wire.Ipv4Address;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/**
 * {@code demo}: a first look that needs no root and no TAP. Two stacks run in this process over an in-memory link
 * with 1 ms of delay each way, in simulated time (the clock jumps to the next thing that happens, so the run takes
 * milliseconds and prints the same every time): 10.0.0.1 pings 10.0.0.2, fetches a page from its HTTP server, and
 * the TCP conversation is printed as a sequence diagram; {@code --pcap FILE} keeps every frame for Wireshark.
 */
final class Demo
{
    private static final long MS = 1_000_000L;
    private static final long START_NS = 1_000_000_000_000L;
    private static final int CLIENT = Ipv4Address.parse("10.0.0.1");
    private static final int SERVER = Ipv4Address.parse("10.0.0.2");
    private static final String PAGE = "<h1>Hello from tapstack</h1>\n";

    private final ManualClock clock = new ManualClock(START_NS);
    private final MemoryLink link = new MemoryLink(clock, MS, 1024, 1514);
    private final NetStack client;
    private final NetStack server;
    private final Simulation simulation;

    private Demo()
    {
        // fixed seeds and secrets: the run is the same every time, which is what a first look and a class want
        client = new NetStack(new StackConfig().ipAddress("10.0.0.1/24").seed(1).repeatableSecrets(true),
            link.endA());
        server = new NetStack(new StackConfig().ipAddress("10.0.0.2/24").seed(2).repeatableSecrets(true),
            link.endB());
        simulation = new Simulation(clock, link, client, server);
    }

    static int run(final String[] args) throws Exception
    {
        final Options options = new Options("demo",
            "Two stacks in this process over an in-memory link (no root, no TAP), in simulated time: 10.0.0.1 pings\n"
                + "10.0.0.2, fetches a page from its HTTP server, and prints the TCP conversation as a sequence\n"
                + "diagram.")
            .option("pcap", "FILE", "also write every frame to a pcap file Wireshark opens", "none");
        options.parse(args, 0); // a mistake throws Options.UsageException: Main prints one line, exit status 2
        if (options.has("help"))
        {
            System.out.print(options.help());
            return 0;
        }
        final Path pcap = options.has("pcap") ? Path.of(options.get("pcap")) : null;
        return new Demo().play(System.out, pcap);
    }

    /** Runs the demo, printing to {@code out}; returns the exit status. */
    int play(final PrintStream out, final Path pcapFile) throws Exception
    {
        final SequenceTrace trace = new SequenceTrace();
        final PcapWriter pcap = pcapFile != null ? PcapWriter.create(pcapFile) : null;
        link.observer((fromA, buffer, offset, length, nowNs) ->
        {
            trace.onFrame(fromA, buffer, offset, length, nowNs);
            if (pcap != null)
            {
                pcap.onFrame(fromA, buffer, offset, length, nowNs);
            }
        });
        try
        {
            return play(out, trace);
        }
        finally
        {
            if (pcap != null)
            {
                pcap.close();
                out.println("frames written to " + pcapFile);
            }
        }
    }

    private int play(final PrintStream out, final SequenceTrace trace)
    {
        out.println("two stacks over an in-memory link, 1 ms each way: client 10.0.0.1, server 10.0.0.2");

        // 1. ping: ARP first, then the echo request and its reply
        final long[] rttNs = {-1};
        client.echoListener((source, identifier, sequence, length, rtt) -> rttNs[0] = rtt);
        runUntil(() -> true, MS); // both stacks up (gratuitous ARP)
        client.ping(SERVER, 1, 1, 56, clock.nanoTime());
        if (!runUntil(() -> rttNs[0] >= 0, 5_000 * MS))
        {
            out.println("ping: no reply");
            return 1;
        }
        out.printf("ping 10.0.0.2: reply in %.3f ms (1 ms each way; a first ping also waits for ARP)%n",
            rttNs[0] / 1e6);

        // 2. HTTP: a GET answered by a tiny server on the server stack, traced as a sequence diagram
        client.tcp().eventListener(trace);
        server.tcp().eventListener(trace);
        server.tcp().listen(80, l -> l.accept().handler(new HttpOnce()));
        final ByteArrayOutputStream response = new ByteArrayOutputStream();
        final boolean[] done = {false};
        client.tcp().connect(SERVER, 80, new TcpHandler()
        {
            private final byte[] buffer = new byte[4096];

            @Override
            public void onConnected(final TcpConnection c)
            {
                final byte[] request = "GET / HTTP/1.1\r\nHost: 10.0.0.2\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII);
                c.write(request, 0, request.length);
            }

            @Override
            public void onReadable(final TcpConnection c)
            {
                int n;
                while ((n = c.read(buffer, 0, buffer.length)) > 0)
                {
                    response.write(buffer, 0, n);
                }
            }

            @Override
            public void onEndOfStream(final TcpConnection c)
            {
                onReadable(c);
                c.close();
            }

            @Override
            public void onClosed(final TcpConnection c)
            {
                done[0] = true;
            }
        }, clock.nanoTime());
        if (!runUntil(() -> done[0], 10_000 * MS))
        {
            out.println("http: no complete response");
            return 1;
        }
        runUntil(() -> server.tcp().connectionCount() == 0, 1_000 * MS); // the server's last ACK lands
        final String text = response.toString(StandardCharsets.US_ASCII);
        out.println("GET http://10.0.0.2/ -> " + text.lines().findFirst().orElse("(nothing)") + ", "
            + PAGE.length() + "-byte page: " + PAGE.trim());
        out.println();
        out.println("the TCP conversation (client on the left; * marks a state change or a congestion event):");
        out.println(trace);
        return text.startsWith("HTTP/1.1 200") && text.endsWith(PAGE) ? 0 : 1;
    }

    /** Runs both stacks in simulated time until {@code done} or {@code maxNs} pass (see {@link Simulation}). */
    private boolean runUntil(final BooleanSupplier done, final long maxNs)
    {
        return simulation.runUntil(done, maxNs);
    }

    /** Answers one request with the page, then closes (the request said "Connection: close"). */
    private static final class HttpOnce implements TcpHandler
    {
        private final ByteArrayOutputStream request = new ByteArrayOutputStream();
        private final byte[] buffer = new byte[4096];
        private boolean answered;

        @Override
        public void onReadable(final TcpConnection c)
        {
            int n;
            while ((n = c.read(buffer, 0, buffer.length)) > 0)
            {
                request.write(buffer, 0, n);
            }
            if (!answered && request.toString(StandardCharsets.US_ASCII).contains("\r\n\r\n"))
            {
                answered = true;
                final byte[] body = PAGE.getBytes(StandardCharsets.US_ASCII);
                final byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + body.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                c.write(head, 0, head.length);
                c.write(body, 0, body.length);
                c.close();
            }
        }
    }
}
