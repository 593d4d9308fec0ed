package io.tapstack.examples;

import io.tapstack.StackConfig;
import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.ImpairedDevice;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;

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
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", options.has("verbose") ? "debug" : "info");
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

    /** Wraps the device in the impairments and capture the options ask for. */
    static FrameDevice wrap(final Options options, final FrameDevice device, final java.util.List<AutoCloseable> closeLast)
    {
        FrameDevice wrapped = impair(options, device);
        if (!"none".equals(options.get("pcap")))
        {
            try
            {
                final io.tapstack.trace.PcapWriter pcap = io.tapstack.trace.PcapWriter.create(
                    java.nio.file.Path.of(options.get("pcap")))
                    .timeOffsetNs(System.currentTimeMillis() * 1_000_000L - System.nanoTime());
                closeLast.add(pcap);
                wrapped = new io.tapstack.trace.CaptureDevice(wrapped, pcap,
                    org.agrona.concurrent.SystemNanoClock.INSTANCE);
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
        final double loss = options.getProbability("loss");
        final double duplicate = options.getProbability("duplicate");
        final double reorder = options.getProbability("reorder");
        final long delayNs = millisToNs(options, "delay");
        final long jitterNs = millisToNs(options, "jitter");
        final io.tapstack.dev.Impairment impairment = io.tapstack.dev.Impairment.NONE.withLoss(loss)
            .withDuplicate(duplicate).withReorder(reorder, 1_000_000L).withDelayNs(delayNs, jitterNs);
        if (impairment.isNone())
        {
            return device;
        }
        return io.tapstack.dev.ImpairedDevice.builder(device).seed(options.getLong("seed")).both(impairment)
            .clock(org.agrona.concurrent.SystemNanoClock.INSTANCE).build();
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
