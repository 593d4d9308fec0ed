package io.tapstack.examples;

import io.tapstack.tap.TapStack;
import io.tapstack.wire.Ipv4Address;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * What every command that runs a stack does the same way: parse the options (or print {@code --help}), start a
 * {@link TapStack} from {@link StackOptions}, and for servers, run until SIGTERM or Ctrl-C, then close the
 * services, the stack and its capture, and print the counters.
 */
final class StackCommand
{
    /** Returned by {@link #parse} when the command should go on. */
    static final int CONTINUE = -1;

    private final String name;
    private final Options options;
    private TapStack stack;
    private int failure = 1;

    StackCommand(final String name, final Options options)
    {
        this.name = name;
        this.options = options;
    }

    Options options()
    {
        return options;
    }

    /**
     * Parses {@code args} and checks every stack option; prints the help (only when asked) or the mistake.
     *
     * @return {@link #CONTINUE}, or the exit status to return now (0 after --help, 2 after a mistake)
     */
    int parse(final String[] args)
    {
        return parse(args, options -> { });
    }

    /**
     * Parses {@code args}, checks every stack option and then the command's own with {@code check} (which throws
     * {@link Options.UsageException}); a mistake is one line on stderr naming the option, and exit status 2.
     *
     * @return {@link #CONTINUE}, or the exit status to return now (0 after --help, 2 after a mistake)
     */
    int parse(final String[] args, final java.util.function.Consumer<Options> check)
    {
        try
        {
            options.parse(args, 0);
            if (options.has("help"))
            {
                System.out.print(options.help());
                return 0;
            }
            StackOptions.check(options);
            check.accept(options);
        }
        catch (final Options.UsageException ex)
        {
            return usageError(ex.getMessage());
        }
        StackOptions.configureLogging(options);
        return CONTINUE;
    }

    /** Prints a mistake on the command line as one line; returns its exit status, 2. */
    int usageError(final String message)
    {
        System.err.println(name + ": " + message);
        return 2;
    }

    /** Opens the TAP and starts the stack; prints why and returns null when it cannot ({@link #failure}). */
    TapStack start()
    {
        return start(builder -> builder);
    }

    /**
     * {@link #start()} with the command's own settings on top of the stack options ({@code TapStack.Builder
     * .configure}, {@code socketConfig}, {@code closeAfter}).
     */
    TapStack start(final java.util.function.UnaryOperator<TapStack.Builder> customize)
    {
        try
        {
            stack = customize.apply(StackOptions.tapStack(options)).start();
            return stack;
        }
        catch (final Options.UsageException ex)
        {
            failure = usageError(ex.getMessage());
            return null;
        }
        catch (final RuntimeException ex)
        {
            // TapException (no permission, no /dev/net/tun), a bad address: the message says which
            System.err.println(name + ": " + ex.getMessage());
            failure = 1;
            return null;
        }
    }

    /**
     * {@link #start(java.util.function.UnaryOperator)} for a server: the frames the TAP receives are held there
     * until {@link #serveUntilStopped} (the stack thread runs, so listeners can be opened), so that a client that
     * connects as soon as the TAP appears finds the listeners rather than a reset.
     */
    TapStack startServer(final java.util.function.UnaryOperator<TapStack.Builder> customize)
    {
        return start(builder -> customize.apply(builder).holdFrames());
    }

    /** {@link #startServer(java.util.function.UnaryOperator)} with the stack options alone. */
    TapStack startServer()
    {
        return startServer(builder -> builder);
    }

    /** The exit status after {@link #start} returned null: 2 for a mistake in the options, 1 otherwise. */
    int failure()
    {
        return failure;
    }

    /**
     * Lets the stack read what the TAP received ({@link #startServer}: the listeners are open by now), then blocks
     * until the JVM is asked to stop (SIGTERM, Ctrl-C); then closes {@code services} in order, the stack, its
     * capture, and prints {@code summary} and the stack's counters.
     */
    int serveUntilStopped(final Supplier<String> summary, final AutoCloseable... services) throws InterruptedException
    {
        final TapStack running = stack;
        if (running != null)
        {
            running.releaseFrames();
        }
        final CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            try
            {
                closeQuietly(List.of(services));
                stop(summary);
            }
            finally
            {
                done.countDown();
            }
        }, "shutdown"));
        done.await();
        return 0;
    }

    /** Closes the stack (failing its sockets) and its capture; prints the summary and the counters. */
    void stop(final Supplier<String> summary)
    {
        stop(summary, true);
    }

    /** Closes the stack (failing its sockets) and its capture; prints the summary and, if asked, the counters. */
    void stop(final Supplier<String> summary, final boolean printCounters)
    {
        if (stack == null)
        {
            return;
        }
        final TapStack s = stack;
        stack = null;
        try
        {
            s.close();
        }
        catch (final RuntimeException ex)
        {
            System.err.println(name + ": while stopping: " + ex);
        }
        final String text = summary == null ? null : summary.get();
        if (text != null && !text.isEmpty())
        {
            System.out.print(text.endsWith("\n") ? text : text + "\n");
        }
        if (printCounters)
        {
            System.out.println("counters of " + Ipv4Address.toString(s.stack().ipAddress()) + ":");
            System.out.print(s.sockets().counters().describeNonZero());
            s.offloadCounts().forEach((name, value) -> System.out.printf("  %-32s %,d%n", name, value));
            printImpairments(s);
        }
        System.out.flush();
    }

    /** The impairments' own counts (kept on the device, not in the counters), when the options asked for any. */
    private static void printImpairments(final TapStack s)
    {
        final io.tapstack.dev.ImpairedDevice impaired = ImpairmentCounts.find(s.stack().device());
        if (impaired != null)
        {
            System.out.println("impairments (rx: from the TAP to the stack, tx: from the stack to the TAP):");
            System.out.print(ImpairmentCounts.describeNonZero(impaired));
        }
    }

    private void closeQuietly(final List<AutoCloseable> closeables)
    {
        for (final AutoCloseable c : closeables)
        {
            try
            {
                c.close();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            catch (final Exception ex)
            {
                System.err.println(name + ": while stopping: " + ex);
            }
        }
    }
}
