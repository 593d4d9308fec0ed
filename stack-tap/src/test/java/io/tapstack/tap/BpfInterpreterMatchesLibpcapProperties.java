package io.tapstack.tap;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.tapstack.testkit.RandomBpfPrograms;
import io.tapstack.trace.BpfInterpreter;
import io.tapstack.trace.BpfProgram;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Java interpreter returns what libpcap's own {@code bpf_filter} returns, for random programs that pass the
 * check and random frames: the same semantics to the bit (unsigned arithmetic, shifts, out-of-frame loads, division
 * by a zero X), so a filter keeps in a capture what tcpdump would keep.
 */
class BpfInterpreterMatchesLibpcapProperties
{
    /** libpcap's interpreter: u_int bpf_filter(const struct bpf_insn *, const u_char *, u_int wirelen, u_int buflen). */
    interface LibpcapFilter extends Library
    {
        int bpf_filter(Pointer instructions, byte[] packet, int wireLength, int bufferLength);
    }

    private static LibpcapFilter libpcap;

    @BeforeContainer
    static void load()
    {
        Libpcap.require();
        for (final String name : PcapFilterCompiler.LIBRARY_NAMES)
        {
            try
            {
                libpcap = Native.load(name, LibpcapFilter.class);
                return;
            }
            catch (final UnsatisfiedLinkError ex)
            {
                // the next name
            }
        }
        throw new AssertionError("libpcap loads for the compiler but not here");
    }

    @Property(tries = 3000, seed = "13")
    void returnsWhatLibpcapsBpfFilterReturns(@ForAll("programs") final int[][] rows,
        @ForAll("frames") final byte[][] frames)
    {
        final BpfProgram program;
        try
        {
            program = BpfProgram.of(column(rows, 0), column(rows, 1), column(rows, 2), column(rows, 3));
        }
        catch (final BpfProgram.InvalidBpfProgramException refused)
        {
            Statistics.collect("refused");
            return;
        }
        Statistics.collect("compared");
        final Memory instructions = new Memory(8L * rows.length);
        for (int i = 0; i < rows.length; i++)
        {
            instructions.setShort(8L * i, (short)rows[i][0]);
            instructions.setByte(8L * i + 2, (byte)rows[i][1]);
            instructions.setByte(8L * i + 3, (byte)rows[i][2]);
            instructions.setInt(8L * i + 4, rows[i][3]);
        }
        final BpfInterpreter interpreter = new BpfInterpreter();
        for (final byte[] frame : frames)
        {
            final int expected = libpcap.bpf_filter(instructions, frame, frame.length, frame.length);
            assertEquals(expected, interpreter.run(program, new UnsafeBuffer(frame), 0, frame.length),
                () -> program + " on " + java.util.HexFormat.of().formatHex(frame));
        }
    }

    @Example
    void edgeCasesTheRandomProgramsMayMiss()
    {
        // shifts by an X of 32 or more, division by a zero X, a load at X + k past 2^32
        final int[][][] programs = {
            {{0x01, 0, 0, 32}, {0x00, 0, 0, -1}, {0x6c, 0, 0, 0}, {0x16, 0, 0, 0}},
            {{0x01, 0, 0, -1}, {0x00, 0, 0, -1}, {0x7c, 0, 0, 0}, {0x16, 0, 0, 0}},
            {{0x01, 0, 0, 0}, {0x00, 0, 0, 9}, {0x3c, 0, 0, 0}, {0x06, 0, 0, 5}},
            {{0x01, 0, 0, -1}, {0x50, 0, 0, 3}, {0x06, 0, 0, 5}},
        };
        for (final int[][] rows : programs)
        {
            Statistics.collect("example");
            returnsWhatLibpcapsBpfFilterReturns(rows, new byte[][] {new byte[8], new byte[0]});
        }
    }

    private static int[] column(final int[][] rows, final int column)
    {
        final int[] values = new int[rows.length];
        for (int i = 0; i < rows.length; i++)
        {
            values[i] = rows[i][column];
        }
        return values;
    }

    @Provide
    Arbitrary<int[][]> programs()
    {
        return Arbitraries.randomValue(RandomBpfPrograms::program);
    }

    @Provide
    Arbitrary<byte[][]> frames()
    {
        return Arbitraries.randomValue(random -> RandomBpfPrograms.frames(random, 4));
    }
}
