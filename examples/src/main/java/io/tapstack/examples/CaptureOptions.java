package io.tapstack.examples;

import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.FrameObserver;
import io.tapstack.tap.PcapFilterCompiler;
import io.tapstack.trace.BpfProgram;
import io.tapstack.trace.CaptureDevice;
import io.tapstack.trace.FilteredObserver;
import io.tapstack.trace.FrameTrace;
import io.tapstack.trace.PcapFileSet;
import io.tapstack.trace.PcapWriter;
import io.tapstack.trace.TeeObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The capture and trace options of every stack command: {@code --pcap FILE|-} with {@code --pcap-filter EXPR}
 * (tcpdump's syntax, compiled by libpcap), {@code --pcap-point stack|wire|both}, {@code --pcap-max-bytes} and
 * {@code --pcap-files} (like tcpdump's -C and -W), and {@code --trace log|-|FILE} (a tcpdump-style line per
 * frame).
 *
 * <p>Capture points: {@code stack} records what the stack sent and received, before the impairments of
 * {@code --loss} and friends on the way out and after them on the way in; {@code wire} what the TAP carried;
 * {@code both} writes one file for each, the point in the name ({@code cap.pcap} becomes {@code cap.stack.pcap} and
 * {@code cap.wire.pcap}). The trace shows the stack's point.
 *
 * <p>Standard output: with {@code --pcap -} or {@code --trace -} it carries the capture or the trace alone
 * ({@code ... --pcap - | tshark -r -}); everything else the command would print there goes to standard error, where
 * the log (slf4j-simple) always goes.
 */
final class CaptureOptions
{
    private static final Logger LOGGER = LoggerFactory.getLogger(CaptureOptions.class);
    private static final String STDOUT = "-";
    /** The most files --pcap-files rotates among. */
    static final int MAX_FILES = 1000;
    /**
     * tcpdump's default: a super-frame received from a TAP with offloads (up to 65,549 bytes with its Ethernet
     * header) is written whole.
     */
    private static final int SNAP_LENGTH = 262_144;

    /** Standard output as the process got it, once taken for a capture or a trace (System.out then is stderr). */
    private static OutputStream standardOutput;

    private CaptureOptions()
    {
    }

    /** Where frames are recorded: before the impairments (the stack's view), after them (the wire's), or both. */
    enum Point
    {
        STACK, WIRE, BOTH;

        boolean includes(final Point p)
        {
            return this == BOTH || this == p;
        }
    }

    static Options declare(final Options options)
    {
        return options
            .option("pcap", "FILE|-", "write every frame to FILE, a pcap Wireshark opens (or a FIFO); - streams it to "
                + "stdout, e.g. | tshark -r -", "none")
            .option("pcap-filter", "EXPR", "keep only the frames tcpdump EXPR keeps, e.g. 'tcp port 80 and not arp' "
                + "(libpcap's syntax and compiler; applies to --pcap and --trace)", "every frame")
            .option("pcap-point", "stack|wire|both", "capture what the stack sent and got (before --loss and the "
                + "other impairments), what the TAP carried (after them), or both into FILE.stack.pcap and "
                + "FILE.wire.pcap", "stack")
            .option("pcap-max-bytes", "N", "cap each capture file at N bytes (suffix k, M, G: powers of 1000, as "
                + "tcpdump -C); the capture stops when full unless --pcap-files rotates", "no cap")
            .option("pcap-files", "N", "with --pcap-max-bytes, rotate among N files FILE.0.pcap .. like tcpdump -W, "
                + "the oldest replaced (1.." + MAX_FILES + ")", "1")
            .option("trace", "log|-|FILE", "one line per frame in tcpdump's style (time, In/Out, ARP, IP, ICMP, "
                + "UDP, TCP flags, seq, ack, win, options): to the log, to stdout, or to FILE", "none");
    }

    /** Checks every capture option before anything opens; compiles the filter (a bad one is a usage error). */
    static void check(final Options options)
    {
        final String pcap = options.get("pcap");
        final boolean capturing = !"none".equals(pcap);
        if (capturing && !STDOUT.equals(pcap))
        {
            writableFile("pcap", pcap);
        }
        final Point point = point(options);
        if (!capturing)
        {
            for (final String dependent : new String[] {"pcap-point", "pcap-max-bytes", "pcap-files"})
            {
                if (options.has(dependent))
                {
                    throw new Options.UsageException("--" + dependent + " needs --pcap FILE");
                }
            }
        }
        final long maxBytes = maxBytes(options);
        final int files = options.getInt("pcap-files", 1, MAX_FILES, "a number of files 1.." + MAX_FILES);
        if (files > 1 && maxBytes == Long.MAX_VALUE)
        {
            throw new Options.UsageException("--pcap-files " + files + " needs --pcap-max-bytes (the size at which "
                + "the next file starts)");
        }
        if (STDOUT.equals(pcap) && point == Point.BOTH)
        {
            throw new Options.UsageException("--pcap-point both writes two files: --pcap - has only one stdout");
        }
        if ((STDOUT.equals(pcap) || isSpecialFile(pcap)) && maxBytes != Long.MAX_VALUE)
        {
            throw new Options.UsageException("--pcap-max-bytes needs --pcap to be a regular file, not '" + pcap + "'");
        }
        final String trace = options.get("trace");
        if (!"none".equals(trace) && !"log".equals(trace) && !STDOUT.equals(trace))
        {
            writableFile("trace", trace);
        }
        if (STDOUT.equals(trace) && STDOUT.equals(pcap))
        {
            throw new Options.UsageException("--trace - and --pcap - both want stdout: give one of them a file");
        }
        if (options.has("pcap-filter") && !capturing && "none".equals(trace))
        {
            throw new Options.UsageException("--pcap-filter needs --pcap or --trace (it chooses the frames they show)");
        }
        filter(options);
    }

    /** The compiled --pcap-filter, or null for every frame. */
    static BpfProgram filter(final Options options)
    {
        if (!options.has("pcap-filter"))
        {
            return null;
        }
        try
        {
            // a TUN's frames are bare IP: the filter's offsets start at the IP header (DLT_RAW)
            return PcapFilterCompiler.compile(options.get("pcap-filter"), PcapFilterCompiler.NETMASK_UNKNOWN,
                options.has("tun"));
        }
        catch (final PcapFilterCompiler.InvalidFilterException ex)
        {
            // libpcap's own words, as tcpdump prints them
            throw new Options.UsageException("--pcap-filter: " + ex.getMessage());
        }
    }

    static Point point(final Options options)
    {
        final String text = options.get("pcap-point");
        return switch (text)
        {
            case "stack" -> Point.STACK;
            case "wire" -> Point.WIRE;
            case "both" -> Point.BOTH;
            default -> throw new Options.UsageException("--pcap-point must be stack, wire or both, not '" + text + "'");
        };
    }

    /** --pcap-max-bytes in bytes, or Long.MAX_VALUE for no cap. */
    static long maxBytes(final Options options)
    {
        if (!options.has("pcap-max-bytes"))
        {
            return Long.MAX_VALUE;
        }
        final String text = options.get("pcap-max-bytes").trim();
        final String what = "--pcap-max-bytes must be a size of at least " + PcapFileSet.MIN_FILE_BYTES
            + " bytes like 10M or 500k, not '" + text + "'";
        if (!text.matches("[0-9]{1,15}[kKMG]?"))
        {
            throw new Options.UsageException(what);
        }
        final char unit = text.charAt(text.length() - 1);
        final long multiplier = switch (unit)
        {
            case 'k', 'K' -> 1_000L;
            case 'M' -> 1_000_000L;
            case 'G' -> 1_000_000_000L;
            default -> 1L;
        };
        final long bytes = Long.parseLong(Character.isDigit(unit) ? text : text.substring(0, text.length() - 1))
            * multiplier;
        if (bytes < PcapFileSet.MIN_FILE_BYTES)
        {
            throw new Options.UsageException(what);
        }
        return bytes;
    }

    private static void writableFile(final String option, final String text)
    {
        try
        {
            final Path path = Path.of(text).toAbsolutePath();
            final Path dir = path.getParent();
            if (!text.isBlank() && !Files.isDirectory(path) && dir != null && Files.isDirectory(dir)
                && Files.isWritable(dir))
            {
                return;
            }
        }
        catch (final InvalidPathException ex)
        {
            // below
        }
        throw new Options.UsageException("--" + option + " must be a file in a writable directory, not '" + text
            + "'");
    }

    /** A FIFO or a device: it exists and is not a regular file. */
    private static boolean isSpecialFile(final String text)
    {
        if ("none".equals(text) || STDOUT.equals(text))
        {
            return false;
        }
        final Path path = Path.of(text);
        return Files.exists(path) && !Files.isRegularFile(path);
    }

    /**
     * Wraps {@code device} in the capture points and the impairments, innermost first: the wire capture, then
     * {@code impair}, then the stack's capture and the trace.
     *
     * @param closeAfter takes what must be closed after the stack stops (files, and a summary of each capture)
     */
    static FrameDevice wrap(final Options options, final FrameDevice device, final UnaryOperator<FrameDevice> impair,
        final Consumer<AutoCloseable> closeAfter)
    {
        final String pcap = options.get("pcap");
        final boolean capturing = !"none".equals(pcap);
        final Point point = point(options);
        final BpfProgram filter = filter(options);
        final long offsetNs = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
        FrameDevice wrapped = device;
        if (capturing && point.includes(Point.WIRE))
        {
            wrapped = new CaptureDevice(wrapped, filtered(filter, capture(options, Point.WIRE, offsetNs,
                closeAfter)));
        }
        wrapped = impair.apply(wrapped);
        FrameObserver stackSide = capturing && point.includes(Point.STACK)
            ? capture(options, Point.STACK, offsetNs, closeAfter) : null;
        final FrameObserver trace = trace(options, offsetNs, closeAfter);
        if (trace != null)
        {
            stackSide = stackSide == null ? trace : new TeeObserver(stackSide, trace);
        }
        if (stackSide != null)
        {
            wrapped = new CaptureDevice(wrapped, filtered(filter, stackSide));
        }
        // the stack sends its gratuitous ARP before its first duty cycle: stamp it with the time it starts, not 0
        wrapped.onTime(System.nanoTime());
        return wrapped;
    }

    private static FrameObserver filtered(final BpfProgram filter, final FrameObserver observer)
    {
        return filter == null ? observer : new FilteredObserver(filter, observer);
    }

    /** The pcap writer (or rotating file set) of one capture point. */
    private static FrameObserver capture(final Options options, final Point at, final long offsetNs,
        final Consumer<AutoCloseable> closeAfter)
    {
        final String pcap = options.get("pcap");
        final Point point = point(options);
        try
        {
            if (STDOUT.equals(pcap))
            {
                final PcapWriter writer = new PcapWriter(standardOutput(), SNAP_LENGTH, linkType(options)).timeOffsetNs(offsetNs);
                closeAfter.accept(writer);
                closeAfter.accept(() -> LOGGER.info("capture: {} frames to stdout", writer.frames()));
                return writer;
            }
            final String name = point == Point.BOTH ? insertBeforeExtension(pcap, at.name().toLowerCase(Locale.ROOT))
                : pcap;
            final long maxBytes = maxBytes(options);
            final int files = options.getInt("pcap-files");
            if (maxBytes == Long.MAX_VALUE)
            {
                final PcapWriter writer = new PcapWriter(Files.newOutputStream(Path.of(name)), SNAP_LENGTH,
                    linkType(options))
                    .timeOffsetNs(offsetNs);
                closeAfter.accept(writer);
                closeAfter.accept(() -> LOGGER.info("capture: {} frames to {}", writer.frames(), name));
                return writer;
            }
            final int digits = Integer.toString(files - 1).length();
            final PcapFileSet set = new PcapFileSet(i -> Path.of(files == 1 ? name
                : insertBeforeExtension(name, String.format("%0" + digits + "d", i))), maxBytes, files, SNAP_LENGTH,
                offsetNs, linkType(options));
            closeAfter.accept(set);
            closeAfter.accept(() -> LOGGER.info("capture: {} frames to {}{} ({} not written: the files were full)",
                set.framesWritten(), name, files == 1 ? "" : " rotating among " + files + " files",
                set.framesNotWritten()));
            return set;
        }
        catch (final IOException ex)
        {
            throw new Options.UsageException("cannot write --pcap " + pcap + ": " + ex.getMessage());
        }
    }

    private static FrameObserver trace(final Options options, final long offsetNs,
        final Consumer<AutoCloseable> closeAfter)
    {
        final String where = options.get("trace");
        final FrameTrace trace;
        switch (where)
        {
            case "none" ->
            {
                return null;
            }
            case "log" -> trace = FrameTrace.toLogger(LoggerFactory.getLogger(FrameTrace.class),
                FrameTrace.TimeFormat.TIME_OF_DAY, ZoneId.systemDefault());
            default ->
            {
                try
                {
                    final OutputStream out = STDOUT.equals(where) ? standardOutput()
                        : Files.newOutputStream(Path.of(where));
                    trace = FrameTrace.toWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8),
                        FrameTrace.TimeFormat.TIME_OF_DAY, ZoneId.systemDefault());
                }
                catch (final IOException ex)
                {
                    throw new Options.UsageException("cannot write --trace " + where + ": " + ex.getMessage());
                }
            }
        }
        trace.timeOffsetNs(offsetNs).rawIp(options.has("tun"));
        closeAfter.accept(trace);
        return trace;
    }

    /** A TUN's frames are bare IP packets (LINKTYPE_RAW), a TAP's Ethernet frames. */
    private static int linkType(final Options options)
    {
        return options.has("tun") ? PcapWriter.LINKTYPE_RAW : PcapWriter.LINKTYPE_ETHERNET;
    }

    /** {@code cap.pcap} with {@code stack} is {@code cap.stack.pcap}; a name without an extension gets a suffix. */
    static String insertBeforeExtension(final String file, final String part)
    {
        final int slash = file.lastIndexOf('/');
        final int dot = file.lastIndexOf('.');
        if (dot > slash + 1)
        {
            return file.substring(0, dot) + "." + part + file.substring(dot);
        }
        return file + "." + part;
    }

    /**
     * The process's standard output, for a capture or trace alone: from now on System.out is standard error, so
     * that nothing else the command prints mixes into the stream.
     */
    private static synchronized OutputStream standardOutput()
    {
        if (standardOutput == null)
        {
            System.out.flush();
            standardOutput = new FileOutputStream(FileDescriptor.out);
            System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
        }
        return standardOutput;
    }
}
