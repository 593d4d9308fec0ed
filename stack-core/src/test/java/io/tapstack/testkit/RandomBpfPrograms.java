package io.tapstack.testkit;

import java.util.Random;

/**
 * Random classic BPF programs as rows of {code, jt, jf, k}, mostly well formed (so that many pass the check) with
 * every kind of mistake now and then, and random frames to run them on: for properties of the BPF check and
 * interpreter, and for comparing the interpreter with libpcap's.
 */
public final class RandomBpfPrograms
{
    // the opcodes Linux accepts in a classic filter (numbers from linux/bpf_common.h and linux/filter.h)
    private static final int LD_MEM = 0x60;
    private static final int LDX_MEM = 0x61;
    private static final int ST_MEM = 0x02;
    private static final int STX_MEM = 0x03;
    private static final int LSH_K = 0x64;
    private static final int RSH_K = 0x74;
    private static final int JA = 0x05;
    private static final int RET_K = 0x06;
    private static final int RET_A = 0x16;
    private static final int[] OPCODES = {0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x80, 0x00, LD_MEM, 0x81, 0xb1, 0x01,
        LDX_MEM, ST_MEM, STX_MEM, 0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x44, 0x4c, 0x54, 0x5c, LSH_K, 0x6c,
        RSH_K, 0x7c, 0x84, 0x94, 0x9c, 0xa4, 0xac, JA, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, RET_K, RET_A,
        0x07, 0x87};
    private static final int[] EDGES = {0, 1, 2, 3, 4, 12, 14, 23, 31, 32, 0x7FFF_FFFF, 0x8000_0000, -0x1000, -1};

    private RandomBpfPrograms()
    {
    }

    /** Mostly well-formed programs (so that many pass the check), with every kind of mistake now and then. */
    public static int[][] program(final Random random)
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

    /** {@code n} frames of 0 to 89 random bytes. */
    public static byte[][] frames(final Random random, final int n)
    {
        final byte[][] frames = new byte[n][];
        for (int i = 0; i < n; i++)
        {
            frames[i] = new byte[random.nextInt(90)];
            random.nextBytes(frames[i]);
        }
        return frames;
    }
}
