package io.tapstack.examples;

import io.tapstack.StackConfig;
import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.ImpairedDevice;
import io.tapstack.tap.TapStack;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;

import java.util.List;

/** The options every stack command shares: device, addresses, impairments, logging. */
final class StackOptions
{
    private StackOptions()
    {
    }

    static Options declare(final Options options)
    {
        return options
            .option("tap", "NAME", "TAP interface to open, created if missing", null)
            .option("ip", "A.B.C.D/N", "the stack's address and prefix length", null)
            .option("gateway", "A.B.C.D", "default gateway for off-subnet destinations", "none")
            .option("mtu", "N", "link MTU in bytes (also set on the TAP)", "1500")
            .option("mac", "aa:bb:cc:dd:ee:ff", "the stack's MAC (the TAP's kernel side has its own)", "random, from --seed")
            .option("mode", "shared|dedicated", "shared: one thread reads the TAP and runs the stack; "
                + "dedicated: reader and writer threads with rings to the stack thread", "shared")
            .option("loss", "P%", "drop this share of frames, both directions (seeded)", "0%")
            .option("duplicate", "P%", "duplicate this share of frames, both directions (seeded)", "0%")
            .option("reorder", "P%", "hold back this share of frames behind the next one, both directions", "0%")
            .option("delay", "MS", "delay every frame this many milliseconds, both directions", "0")
            .option("jitter", "MS", "add up to this many milliseconds of random delay (reorders too)", "0")
            .option("seed", "N", "seed for the MAC, IP IDs and impairments", "1")
            .option("pcap", "FILE", "write every frame the stack sees and sends to FILE (Wireshark opens it)", "none")
            .flag("verbose", "log every protocol event (ARP, echo, drops) at debug level");
    }

    /** Must run before the first logger is created. */
    static void configureLogging(final Options options)
    {
        configureLogging(options.has("verbose"));
    }

    /**
     * Must run before the first logger is created: {@link Main} calls it before a command's class (and its
     * static loggers) loads.
     */
    static void configureLogging(final boolean verbose)
    {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : "info");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
    }

    static StackConfig stackConfig(final Options options)
    {
        final StackConfig config = new StackConfig()
            .ipAddress(options.get("ip"))
            .mtu(options.getInt("mtu"))
            .seed(options.getLong("seed"));
        if (!"none".equals(options.get("gateway")))
        {
            config.gateway(Ipv4Address.parse(options.get("gateway")));
        }
        if (options.has("mac"))
        {
            config.macAddress(MacAddress.parse(options.get("mac")));
        }
        return config;
    }

    /**
     * A {@link TapStack} builder for the options: device, addresses, mode, and the impairments and capture
     * wrapped around the TAP. Every option is checked here, before anything is opened, so that a mistake is a
     * {@link Options.UsageException} rather than a half-opened TAP. A capture file is closed by the stack after
     * it stops ({@link TapStack.Builder#closeAfter}).
     */
    static TapStack.Builder tapStack(final Options options)
    {
        final TapStack.Builder builder = TapStack.builder().mode(mode(options));
        try
        {
            builder.tap(options.get("tap")).mtu(options.getInt("mtu")).seed(options.getLong("seed")).ip(options.get("ip"));
            if (!"none".equals(options.get("gateway")))
            {
                builder.gateway(options.get("gateway"));
            }
            if (options.has("mac"))
            {
                builder.mac(options.get("mac"));
            }
        }
        catch (final IllegalArgumentException ex)
        {
            throw new Options.UsageException(ex.getMessage());
        }
        impairment(options); // checked now; applied below when the TAP is open
        return builder.device(device -> wrap(options, device, builder::closeAfter));
    }

    static TapStack.Mode mode(final Options options)
    {
        final String mode = options.get("mode");
        return switch (mode)
        {
            case "shared" -> TapStack.Mode.SHARED;
            case "dedicated" -> TapStack.Mode.DEDICATED;
            default -> throw new Options.UsageException("--mode must be shared or dedicated, not '" + mode + "'");
        };
    }

    /** Wraps the device in the impairments and capture the options ask for. */
    /** @param closeAfter takes what must be closed after the stack (the pcap writer) */
    static FrameDevice wrap(final Options options, final FrameDevice device,
        final java.util.function.Consumer<AutoCloseable> closeAfter)
    {
        FrameDevice wrapped = impair(options, device);
        if (!"none".equals(options.get("pcap")))
        {
            try
            {
                final io.tapstack.trace.PcapWriter pcap = io.tapstack.trace.PcapWriter.create(
                    java.nio.file.Path.of(options.get("pcap")))
                    .timeOffsetNs(System.currentTimeMillis() * 1_000_000L - System.nanoTime());
                closeAfter.accept(pcap);
                wrapped = new io.tapstack.trace.CaptureDevice(wrapped, pcap);
            }
            catch (final java.io.IOException ex)
            {
                throw new Options.UsageException("cannot write --pcap " + options.get("pcap") + ": " + ex.getMessage());
            }
        }
        return wrapped;
    }

    static FrameDevice impair(final Options options, final FrameDevice device)
    {
        final io.tapstack.dev.Impairment impairment = impairment(options);
        if (impairment.isNone())
        {
            return device;
        }
        return io.tapstack.dev.ImpairedDevice.builder(device).seed(options.getLong("seed")).both(impairment)
            .build();
    }

    static io.tapstack.dev.Impairment impairment(final Options options)
    {
        final double loss = options.getProbability("loss");
        final double duplicate = options.getProbability("duplicate");
        final double reorder = options.getProbability("reorder");
        final long delayNs = millisToNs(options, "delay");
        final long jitterNs = millisToNs(options, "jitter");
        return io.tapstack.dev.Impairment.NONE.withLoss(loss)
            .withDuplicate(duplicate).withReorder(reorder, 1_000_000L).withDelayNs(delayNs, jitterNs);
    }

    private static long millisToNs(final Options options, final String name)
    {
        try
        {
            final double ms = Double.parseDouble(options.get(name).replace("ms", "").trim());
            if (ms < 0)
            {
                throw new Options.UsageException("--" + name + " must not be negative");
            }
            return (long)(ms * 1_000_000L);
        }
        catch (final NumberFormatException ex)
        {
            throw new Options.UsageException("--" + name + " must be milliseconds like 5 or 0.5, not '"
                + options.get(name) + "'");
        }
    }
}
