package io.tapstack.trace;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Random;

import static io.tapstack.trace.BpfProgram.*;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

/**
 * Whatever a program is, the check either refuses it with {@link BpfProgram.InvalidBpfProgramException} or the
 * interpreter runs it on any frame without reading outside the frame (the frame sits in a buffer of exactly its
 * size, so such a read would throw) and without throwing; and every run ends (no backward jumps).
 */
class BpfProperties
{
    private static final int[] OPCODES = {LD_W_ABS, LD_H_ABS, LD_B_ABS, LD_W_IND, LD_H_IND, LD_B_IND, LD_W_LEN,
        LD_IMM, LD_MEM, LDX_W_LEN, LDX_B_MSH, LDX_IMM, LDX_MEM, ST_MEM, STX_MEM, ADD_K, ADD_X, SUB_K, SUB_X, MUL_K,
        MUL_X, DIV_K, DIV_X, OR_K, OR_X, AND_K, AND_X, LSH_K, LSH_X, RSH_K, RSH_X, NEG, MOD_K, MOD_X, XOR_K, XOR_X,
        JA, JEQ_K, JEQ_X, JGT_K, JGT_X, JGE_K, JGE_X, JSET_K, JSET_X, RET_K, RET_A, TAX, TXA};
    private static final int[] EDGES = {0, 1, 2, 3, 4, 12, 14, 23, 31, 32, 0x7FFF_FFFF, 0x8000_0000, -0x1000, -1};

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
        return Arbitraries.randomValue(BpfProperties::program);
    }

    @Provide
    Arbitrary<byte[][]> frames()
    {
        return Arbitraries.randomValue(random ->
        {
            final byte[][] frames = new byte[4][];
            for (int i = 0; i < frames.length; i++)
            {
                frames[i] = new byte[random.nextInt(90)];
                random.nextBytes(frames[i]);
            }
            return frames;
        });
    }

    /** Mostly well-formed programs (so that many pass the check), with every kind of mistake now and then. */
    private static int[][] program(final Random random)
    {
        final int n = 1 + random.nextInt(40);
        final int[][] rows = new int[n][];
        for (int pc = 0; pc < n; pc++)
        {
            final int left = n - pc - 1;
            int code = random.nextInt(50) == 0 ? random.nextInt(0x10000) : OPCODES[random.nextInt(OPCODES.length)];
            if (pc == n - 1 && random.nextInt(20) != 0)
            {
                code = random.nextBoolean() ? RET_K : RET_A;
            }
            int k = random.nextInt(4) == 0 ? EDGES[random.nextInt(EDGES.length)] : random.nextInt(80);
            int jt = random.nextInt(Math.max(1, left));
            int jf = random.nextInt(Math.max(1, left));
            switch (code)
            {
                case LD_MEM, LDX_MEM, ST_MEM, STX_MEM -> k = random.nextInt(30) == 0 ? k : random.nextInt(4);
                case JA -> k = random.nextInt(30) == 0 ? k : random.nextInt(Math.max(1, left));
                case LSH_K, RSH_K -> k = random.nextInt(30) == 0 ? k : random.nextInt(32);
                default ->
                {
                    // any k
                }
            }
            if (random.nextInt(40) == 0)
            {
                jt = random.nextInt(256);
                jf = random.nextInt(256);
            }
            rows[pc] = new int[] {code, jt, jf, k};
        }
        // stores early, so that loads from memory often pass the check
        if (n > 2 && random.nextBoolean())
        {
            rows[0] = new int[] {ST_MEM, 0, 0, random.nextInt(4)};
        }
        return rows;
    }
}
