package io.tapstack.trace;

import io.tapstack.testkit.SampleTraffic;
import io.tapstack.testkit.Tcpdump;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FrameTrace}'s lines against tcpdump's own for the same frames ({@code tcpdump -r FILE -n -tt -S}): the
 * whole line but our direction word, time included. What tcpdump prints differently, and is normalised away here:
 * it decodes some application protocols by port after {@code length N} (": HTTP" on 80, a DNS query on 53), where
 * the trace stops at {@code length N} (for DNS, whose line has no {@code UDP, length}, only the part up to the ports
 * is compared).
 */
class FrameTraceTest
{
    private static final Pattern TCPDUMP_LINE = Pattern.compile("^(\\d+\\.\\d{6}) (.*)$");
    private static final Pattern OUR_LINE = Pattern.compile("^(\\d+\\.\\d{6}) (In|Out) (.*)$");

    @TempDir
    Path dir;

    @Test
    void eachLineReadsAsTcpdumpPrintsTheSameFrame() throws Exception
    {
        final List<SampleTraffic.Frame> frames = SampleTraffic.frames();
        final Path file = SampleTraffic.writePcap(frames, dir.resolve("sample.pcap"));
        final List<String> tcpdump = Tcpdump.read(file, "-n", "-tt", "-S").stream()
            .filter(line -> !line.startsWith("\t")).toList();
        final List<String> ours = trace(frames);
        assertEquals(frames.size(), tcpdump.size(), "one tcpdump line per frame");

        final List<String> differences = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++)
        {
            final Matcher theirs = TCPDUMP_LINE.matcher(tcpdump.get(i));
            final Matcher mine = OUR_LINE.matcher(ours.get(i));
            assertTrue(theirs.matches(), tcpdump.get(i));
            assertTrue(mine.matches(), ours.get(i));
            final String expected = theirs.group(1) + " " + normalise(theirs.group(2), mine.group(3));
            final String actual = mine.group(1) + " " + mine.group(3);
            if (!expected.equals(actual))
            {
                differences.add("frame " + i + "\n  tcpdump: " + expected + "\n  trace:   " + actual);
            }
        }
        assertTrue(differences.isEmpty(), () -> differences.size() + " lines differ:\n"
            + String.join("\n", differences));
    }

    @Test
    void rawIpLinesReadAsTcpdumpPrintsTheSamePackets() throws Exception
    {
        // a TUN's frames: the same IPv4 packets with no Ethernet header, in a LINKTYPE_RAW file
        final List<SampleTraffic.Frame> packets = SampleTraffic.rawIp(SampleTraffic.frames());
        final Path file = SampleTraffic.writePcap(packets, dir.resolve("raw.pcap"), PcapWriter.LINKTYPE_RAW);
        final List<String> tcpdump = Tcpdump.read(file, "-n", "-tt", "-S").stream()
            .filter(line -> !line.startsWith("\t")).toList();
        final StringWriter text = new StringWriter();
        final FrameTrace trace = FrameTrace.toWriter(text, FrameTrace.TimeFormat.SECONDS, ZoneOffset.UTC).rawIp(true);
        for (final SampleTraffic.Frame f : packets)
        {
            trace.onFrame(f.fromA(), new UnsafeBuffer(f.bytes()), 0, f.bytes().length, f.timeNs());
        }
        trace.flush();
        final List<String> ours = List.of(text.toString().split("\n"));
        assertTrue(packets.size() > 10, "the sample has IPv4 packets");
        assertEquals(packets.size(), tcpdump.size(), "one tcpdump line per packet");
        for (int i = 0; i < packets.size(); i++)
        {
            final Matcher theirs = TCPDUMP_LINE.matcher(tcpdump.get(i));
            final Matcher mine = OUR_LINE.matcher(ours.get(i));
            assertTrue(theirs.matches(), tcpdump.get(i));
            assertTrue(mine.matches(), ours.get(i));
            assertEquals(theirs.group(1) + " " + normalise(theirs.group(2), mine.group(3)),
                mine.group(1) + " " + mine.group(3), "packet " + i);
        }
    }

    /** tcpdump's words after the time, less what it decodes beyond the transport header. */
    static String normalise(final String tcpdump, final String ours)
    {
        if (ours.contains(": UDP, length ") && !tcpdump.contains(": UDP, length "))
        {
            // an application protocol decoded in place of "UDP, length N": compare up to the ports
            final int colon = ours.indexOf(": UDP, length ");
            return tcpdump.startsWith(ours.substring(0, colon + 2)) ? ours : tcpdump;
        }
        return tcpdump.replaceFirst("(, length \\d+): .*$", "$1");
    }

    private static List<String> trace(final List<SampleTraffic.Frame> frames)
    {
        final StringWriter text = new StringWriter();
        final FrameTrace trace = FrameTrace.toWriter(text, FrameTrace.TimeFormat.SECONDS, ZoneOffset.UTC);
        for (final SampleTraffic.Frame f : frames)
        {
            trace.onFrame(f.fromA(), new UnsafeBuffer(f.bytes()), 0, f.bytes().length, f.timeNs());
        }
        trace.flush();
        return List.of(text.toString().split("\n"));
    }
}
