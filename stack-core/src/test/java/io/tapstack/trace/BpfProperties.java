package io.tapstack.trace;

import io.tapstack.testkit.RandomBpfPrograms;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

/**
 * Whatever a program is, the check either refuses it with {@link BpfProgram.InvalidBpfProgramException} or the
 * interpreter runs it on any frame without reading outside the frame (the frame sits in a buffer of exactly its
 * size, so such a read would throw) and without throwing; and every run ends (no backward jumps).
 */
class BpfProperties
{
    @Property(tries = 2000, seed = "13")
    void aCheckedProgramNeverReadsOutsideTheFrameNorThrowsOnAnyFrame(@ForAll("programs") final int[][] rows,
        @ForAll("frames") final byte[][] frames)
    {
        // the generator is worth something only if many of its programs pass the check
        Statistics.coverage(coverage -> coverage.check("checked").percentage(p -> p > 25));
        final BpfProgram program;
        try
        {
            program = Bpf.program(rows);
        }
        catch (final BpfProgram.InvalidBpfProgramException refused)
        {
            Statistics.collect("refused");
            return;
        }
        Statistics.collect("checked");
        final BpfInterpreter interpreter = new BpfInterpreter();
        for (final byte[] frame : frames)
        {
            assertDoesNotThrow(() -> interpreter.run(program, new UnsafeBuffer(frame), 0, frame.length),
                () -> program + " on " + java.util.HexFormat.of().formatHex(frame));
        }
    }

    @Provide
    Arbitrary<int[][]> programs()
    {
        return Arbitraries.randomValue(RandomBpfPrograms::program);
    }

    @Provide
    Arbitrary<byte[][]> frames()
    {
        return Arbitraries.randomValue(random ->
        {
            return RandomBpfPrograms.frames(random, 4);
        });
    }
}
