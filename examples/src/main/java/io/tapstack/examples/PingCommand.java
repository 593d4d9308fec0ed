package io.tapstack.examples;

import io.tapstack.tap.TapStack;
import io.tapstack.wire.Ipv4Address;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code ping}: ICMP echo requests (RFC 792) from the stack, printed like ping(8). Requests leave every interval
 * whether or not the last was answered, as ping(8) sends them; a reply later than {@code --timeout} counts as
 * lost. Exits 0 when any reply came, 1 when none did.
 */
final class PingCommand
{
    static final int MIN_SIZE = io.tapstack.socket.Ping.MIN_DATA_LENGTH;
    static final int MAX_SIZE = io.tapstack.socket.Ping.MAX_DATA_LENGTH;
    /** The longest --interval or --timeout: a day. */
    static final long MAX_MS = 86_400_000L;

    private PingCommand()
    {
    }

    /** The statistics ping(8) prints at the end; replies arrive on callback threads. */
    private static final class Tally
    {
        private int transmitted;
        private int received;
        private double minMs = Double.MAX_VALUE;
        private double maxMs;
        private double sumMs;
        private double sumSquaresMs;

        synchronized void sent()
        {
            transmitted++;
        }

        synchronized void replied(final double ms)
        {
            received++;
            minMs = Math.min(minMs, ms);
            maxMs = Math.max(maxMs, ms);
            sumMs += ms;
            sumSquaresMs += ms * ms;
        }

        synchronized int received()
        {
            return received;
        }

        synchronized String summary(final String host, final long elapsedMs)
        {
            final StringBuilder sb = new StringBuilder();
            sb.append("\n--- ").append(host).append(" ping statistics ---\n");
            final int lossPercent = transmitted == 0 ? 0 : (int)Math.round(100.0 * (transmitted - received) / transmitted);
            sb.append(String.format(Locale.ROOT, "%d packets transmitted, %d received, %d%% packet loss, time %dms%n",
                transmitted, received, lossPercent, elapsedMs));
            if (received > 0)
            {
                final double avg = sumMs / received;
                // ping(8)'s mdev: the standard deviation of the round-trip times
                final double mdev = Math.sqrt(Math.max(0, sumSquaresMs / received - avg * avg));
                sb.append(String.format(Locale.ROOT, "rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms%n", minMs, avg,
                    maxMs, mdev));
            }
            return sb.toString();
        }
    }

    static int run(final String[] args) throws Exception
    {
        final StackCommand command = new StackCommand("ping", StackOptions.declare(new Options("ping",
            "Sends ICMP echo requests from the stack to HOST and prints each reply like ping(8), then a summary;\n"
                + "exits 0 if any reply came. The TAP's kernel side must be up with its address before the stack\n"
                + "starts; inside a namespace of your own (ip netns add lab), for example:\n"
                + "ip netns exec lab sh -c 'ip tuntap add dev tap0 mode tap && ip addr add 10.0.0.1/24 dev tap0 &&\n"
                + "ip link set tap0 up', then: ip netns exec lab java -jar tapstack-examples.jar ping 10.0.0.1 ...")
            .positional("HOST", "the IPv4 address to ping (on the stack's subnet, or behind --gateway)")
            .option("count", "N", "echo requests to send; 0 sends until Ctrl-C", "4")
            .option("size", "N", "data bytes in each request (" + MIN_SIZE + ".." + MAX_SIZE
                + "; the reply line counts 8 more)",
                Integer.toString(io.tapstack.socket.Ping.DEFAULT_DATA_LENGTH))
            .option("interval", "MS", "milliseconds between requests (0.." + MAX_MS + ")", "1000")
            .option("timeout", "MS", "how long to wait for each reply in milliseconds (1.." + MAX_MS + ")",
                "2000")));
        final int parsed = command.parse(args, PingCommand::check);
        if (parsed != StackCommand.CONTINUE)
        {
            return parsed;
        }
        final Options options = command.options();
        final String host = options.positional(0);
        final int address = host(options);
        final int count = count(options);
        final int size = size(options);
        final long intervalMs = intervalMs(options);
        final long timeoutMs = timeoutMs(options);
        final TapStack stack = command.start();
        if (stack == null)
        {
            return command.failure();
        }

        final Tally tally = new Tally();
        final CountDownLatch finished = new CountDownLatch(1);
        final Thread main = Thread.currentThread();
        final boolean[] stopping = {false};
        // Ctrl-C ends an endless (or long) run with the summary, as ping(8) does
        final Thread hook = new Thread(() ->
        {
            synchronized (stopping)
            {
                stopping[0] = true;
            }
            main.interrupt();
            try
            {
                finished.await(5, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }, "shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        System.out.printf("PING %s (%s) from %s: %d(%d) bytes of data.%n", host, host,
            Ipv4Address.toString(stack.sockets().address()), size, size + 28);
        final long start = System.nanoTime();
        final List<CompletableFuture<Void>> pending = new ArrayList<>();
        try
        {
            for (int seq = 1; count == 0 || seq <= count; seq++)
            {
                final int sequence = seq;
                tally.sent();
                pending.add(stack.sockets().ping().echoAsync(address, size)
                    .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                    .handle((rtt, ex) ->
                    {
                        if (ex == null)
                        {
                            final double ms = rtt.toNanos() / 1e6; // the stack's RTT: stamped and read on its clock
                            tally.replied(ms);
                            System.out.printf("%d bytes from %s: icmp_seq=%d time=%s ms%n", size + 8, host, sequence,
                                formatMs(ms));
                        }
                        else if (rootCause(ex) instanceof TimeoutException)
                        {
                            System.out.printf("no reply from %s: icmp_seq=%d within %d ms%n", host, sequence, timeoutMs);
                        }
                        else
                        {
                            System.out.printf("From %s icmp_seq=%d %s%n", Ipv4Address.toString(
                                stack.sockets().address()), sequence, rootCause(ex).getMessage());
                        }
                        return null;
                    }));
                if (count == 0 || seq < count)
                {
                    Thread.sleep(intervalMs);
                }
            }
            // the last replies (each ends by its timeout at the latest)
            CompletableFuture.allOf(pending.toArray(new CompletableFuture[0])).get(timeoutMs + 1000,
                TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            // Ctrl-C: print what we have
        }
        final long elapsedMs = Duration.ofNanos(System.nanoTime() - start).toMillis();
        System.out.print(tally.summary(host, elapsedMs));
        System.out.flush();
        command.stop(null, options.has("verbose"));
        finished.countDown();
        synchronized (stopping)
        {
            if (!stopping[0])
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
        }
        return tally.received() > 0 ? 0 : 1;
    }

    /** Ping's own options, checked before the stack starts. */
    private static void check(final Options options)
    {
        host(options);
        count(options);
        size(options);
        intervalMs(options);
        timeoutMs(options);
    }

    private static int host(final Options options)
    {
        final String host = options.positional(0);
        final int address;
        try
        {
            address = Ipv4Address.parse(host);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new Options.UsageException("HOST must be an IPv4 address like 10.0.0.1, not '" + host + "'");
        }
        if (address == Ipv4Address.ANY || Ipv4Address.isMulticast(address) || address == Ipv4Address.BROADCAST)
        {
            throw new Options.UsageException("HOST must be one host's address, not '" + host + "'");
        }
        final StackOptions.Interface ip = StackOptions.ip(options);
        if (!Ipv4Address.sameSubnet(address, ip.address(), ip.prefixLength())
            && StackOptions.gateway(options, ip) == Ipv4Address.ANY)
        {
            throw new Options.UsageException("HOST must be on the stack's subnet " + Ipv4Address.toString(
                ip.address() & Ipv4Address.mask(ip.prefixLength())) + "/" + ip.prefixLength()
                + " unless --gateway routes to it, not '" + host + "'");
        }
        return address;
    }

    private static int count(final Options options)
    {
        return options.getInt("count", 0, Integer.MAX_VALUE, "0 (until Ctrl-C) or more");
    }

    private static int size(final Options options)
    {
        return options.getInt("size", MIN_SIZE, MAX_SIZE, "data bytes " + MIN_SIZE + ".." + MAX_SIZE);
    }

    private static long intervalMs(final Options options)
    {
        return options.getLong("interval", 0, MAX_MS, "milliseconds 0.." + MAX_MS);
    }

    private static long timeoutMs(final Options options)
    {
        return options.getLong("timeout", 1, MAX_MS, "milliseconds 1.." + MAX_MS);
    }

    private static Throwable rootCause(final Throwable ex)
    {
        Throwable t = ex;
        while (t.getCause() != null && t.getCause() != t)
        {
            t = t.getCause();
        }
        return t;
    }

    /** Three significant digits, as ping(8) prints times. */
    static String formatMs(final double ms)
    {
        if (ms < 1)
        {
            return String.format(Locale.ROOT, "%.3f", ms);
        }
        if (ms < 10)
        {
            return String.format(Locale.ROOT, "%.2f", ms);
        }
        if (ms < 100)
        {
            return String.format(Locale.ROOT, "%.1f", ms);
        }
        return String.format(Locale.ROOT, "%.0f", ms);
    }
}
