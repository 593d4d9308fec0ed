package io.tapstack.trace;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static io.tapstack.trace.Bpf.jump;
import static io.tapstack.trace.Bpf.program;
import static io.tapstack.trace.Bpf.run;
import static io.tapstack.trace.Bpf.stmt;
import static io.tapstack.trace.BpfProgram.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link BpfInterpreter}, one instruction class at a time, as libpcap's {@code bpf_filter} runs them: 32-bit
 * unsigned registers, big-endian loads, and 0 (the frame is not wanted) for a load past the frame or a division by a
 * zero X.
 */
class BpfInterpreterTest
{
    private static final int[] RET_A_ROW = stmt(RET_A, 0);

    @Nested
    class Loads
    {
        @Test
        void absoluteLoadsReadWordHalfwordAndByteBigEndian()
        {
            final int[] frame = {0x11, 0x22, 0x33, 0x44, 0x55};
            assertEquals(0x2233_4455, run(program(stmt(LD_W_ABS, 1), RET_A_ROW), frame));
            assertEquals(0x4455, run(program(stmt(LD_H_ABS, 3), RET_A_ROW), frame));
            assertEquals(0x55, run(program(stmt(LD_B_ABS, 4), RET_A_ROW), frame));
        }

        @Test
        void aLoadPastTheFrameEndsTheRunWithZeroAndOneThatJustFitsReads()
        {
            final int[] frame = {1, 2, 3, 4};
            assertEquals(0x0102_0304, run(program(stmt(LD_W_ABS, 0), RET_A_ROW), frame));
            assertEquals(0, run(program(stmt(LD_W_ABS, 1), stmt(RET_K, 7)), frame), "word at 1 of 4 bytes");
            assertEquals(0, run(program(stmt(LD_H_ABS, 3), stmt(RET_K, 7)), frame));
            assertEquals(0, run(program(stmt(LD_B_ABS, 4), stmt(RET_K, 7)), frame));
            assertEquals(0, run(program(stmt(LD_B_ABS, 0x7FFF_FFFF), stmt(RET_K, 7)), frame));
            assertEquals(0, run(program(stmt(LD_B_ABS, 0), stmt(RET_K, 7)), new byte[0]), "an empty frame");
        }

        @Test
        void indirectLoadsAddXToTheOffsetWithoutWrappingAround()
        {
            final int[] frame = {0, 0, 0xAB, 0xCD, 0xEF, 0x01};
            assertEquals(0xABCD, run(program(stmt(LDX_IMM, 2), stmt(LD_H_IND, 0), RET_A_ROW), frame));
            assertEquals(0xCDEF_0100 >>> 8 | 0xAB00_0000, run(program(stmt(LDX_IMM, 1), stmt(LD_W_IND, 1),
                RET_A_ROW), frame));
            assertEquals(0xEF, run(program(stmt(LDX_IMM, 3), stmt(LD_B_IND, 1), RET_A_ROW), frame));
            // X + k past 2^32 must not wrap to a small offset
            assertEquals(0, run(program(stmt(LDX_IMM, 0xFFFF_FFFF), stmt(LD_B_IND, 3), stmt(RET_K, 7)), frame));
            assertEquals(0, run(program(stmt(LDX_IMM, 5), stmt(LD_H_IND, 0), stmt(RET_K, 7)), frame));
        }

        @Test
        void lengthImmediateAndMemoryLoads()
        {
            assertEquals(3, run(program(stmt(LD_W_LEN, 0), RET_A_ROW), 9, 9, 9));
            assertEquals(0xDEAD_BEEF, run(program(stmt(LD_IMM, 0xDEAD_BEEF), RET_A_ROW)));
            assertEquals(42, run(program(stmt(LD_IMM, 42), stmt(ST_MEM, 15), stmt(LD_IMM, 0), stmt(LD_MEM, 15),
                RET_A_ROW)));
        }

        @Test
        void indexLoadsAndTheIpv4HeaderLengthOfMsh()
        {
            assertEquals(2, run(program(stmt(LDX_W_LEN, 0), stmt(TXA, 0), RET_A_ROW), 1, 2));
            assertEquals(77, run(program(stmt(LDX_IMM, 77), stmt(TXA, 0), RET_A_ROW)));
            assertEquals(5, run(program(stmt(LDX_IMM, 5), stmt(STX_MEM, 3), stmt(LDX_IMM, 0), stmt(LDX_MEM, 3),
                stmt(TXA, 0), RET_A_ROW)));
            // 4 * (low nibble of 0x46) = 24: an IPv4 header with one option word
            assertEquals(24, run(program(stmt(LDX_B_MSH, 1), stmt(TXA, 0), RET_A_ROW), 0, 0x46));
            assertEquals(0, run(program(stmt(LDX_B_MSH, 2), stmt(RET_K, 7)), 0, 0x46));
        }

        @Test
        void aFrameAtAnOffsetInALargerBufferIsReadFromItsStart()
        {
            final byte[] bytes = {9, 9, 9, 0x12, 0x34};
            final BpfProgram p = program(stmt(LD_H_ABS, 0), RET_A_ROW);
            assertEquals(0x1234, new BpfInterpreter().run(p, new UnsafeBuffer(bytes), 3, 2));
            assertEquals(2, new BpfInterpreter().run(program(stmt(LD_W_LEN, 0), RET_A_ROW), new UnsafeBuffer(bytes),
                3, 2));
        }
    }

    @Nested
    class Arithmetic
    {
        private int alu(final int a, final int code, final int k)
        {
            return run(program(stmt(LD_IMM, a), stmt(code, k), RET_A_ROW));
        }

        private int aluX(final int a, final int code, final int x)
        {
            return run(program(stmt(LDX_IMM, x), stmt(LD_IMM, a), stmt(code, 0), RET_A_ROW));
        }

        @Test
        void eachOperationWithAConstantAndWithX()
        {
            assertEquals(7, alu(3, ADD_K, 4));
            assertEquals(7, aluX(3, ADD_X, 4));
            assertEquals(-1, alu(3, SUB_K, 4), "wraps modulo 2^32");
            assertEquals(-1, aluX(3, SUB_X, 4));
            assertEquals(12, alu(3, MUL_K, 4));
            assertEquals(12, aluX(3, MUL_X, 4));
            assertEquals(0x7FFF_FFFF, alu(-1, DIV_K, 2), "unsigned division");
            assertEquals(0x7FFF_FFFF, aluX(-1, DIV_X, 2));
            assertEquals(1, alu(-1, MOD_K, 2), "unsigned remainder");
            assertEquals(1, aluX(-1, MOD_X, 2));
            assertEquals(0x0F0F, alu(0x0F00, OR_K, 0x000F));
            assertEquals(0x0F0F, aluX(0x0F00, OR_X, 0x000F));
            assertEquals(0x0F00, alu(0x0FF0, AND_K, 0xFF00));
            assertEquals(0x0F00, aluX(0x0FF0, AND_X, 0xFF00));
            assertEquals(0xF0F0, alu(0xFF00, XOR_K, 0x0FF0));
            assertEquals(0xF0F0, aluX(0xFF00, XOR_X, 0x0FF0));
            assertEquals(0x10, alu(1, LSH_K, 4));
            assertEquals(0x10, aluX(1, LSH_X, 4));
            assertEquals(0x7FFF_FFFF, alu(-1, RSH_K, 1), "a logical shift");
            assertEquals(0x7FFF_FFFF, aluX(-1, RSH_X, 1));
            assertEquals(-5, run(program(stmt(LD_IMM, 5), stmt(NEG, 0), RET_A_ROW)));
        }

        @Test
        void divisionOrRemainderByAZeroXEndsTheRunWithZero()
        {
            assertEquals(0, run(program(stmt(LDX_IMM, 0), stmt(LD_IMM, 9), stmt(DIV_X, 0), stmt(RET_K, 7))));
            assertEquals(0, run(program(stmt(LDX_IMM, 0), stmt(LD_IMM, 9), stmt(MOD_X, 0), stmt(RET_K, 7))));
        }

        @Test
        void aShiftByAnXOf32OrMoreGivesZeroAsInLibpcap()
        {
            assertEquals(0, aluX(-1, LSH_X, 32));
            assertEquals(0, aluX(-1, RSH_X, 0xFFFF_FFFF));
            assertEquals(0x8000_0000, aluX(1, LSH_X, 31));
        }
    }

    @Nested
    class Jumps
    {
        /** 1 when the jump is taken (jt), 2 when not (jf). */
        private int branch(final int a, final int code, final int k)
        {
            return run(program(stmt(LD_IMM, a), jump(code, k, 0, 1), stmt(RET_K, 1), stmt(RET_K, 2)));
        }

        private int branchX(final int a, final int code, final int x)
        {
            return run(program(stmt(LDX_IMM, x), stmt(LD_IMM, a), jump(code, 0, 0, 1), stmt(RET_K, 1),
                stmt(RET_K, 2)));
        }

        @Test
        void conditionalJumpsCompareUnsignedWithAConstantOrX()
        {
            assertEquals(1, branch(5, JEQ_K, 5));
            assertEquals(2, branch(5, JEQ_K, 6));
            assertEquals(1, branchX(5, JEQ_X, 5));
            assertEquals(2, branchX(5, JEQ_X, 6));
            assertEquals(1, branch(0x8000_0000, JGT_K, 1), "unsigned: 2^31 > 1");
            assertEquals(2, branch(1, JGT_K, 1));
            assertEquals(1, branchX(0x8000_0000, JGT_X, 1));
            assertEquals(2, branchX(1, JGT_X, 1));
            assertEquals(1, branch(1, JGE_K, 1));
            assertEquals(2, branch(0, JGE_K, 0xFFFF_FFFF));
            assertEquals(1, branchX(1, JGE_X, 1));
            assertEquals(2, branchX(0, JGE_X, 0xFFFF_FFFF));
            assertEquals(1, branch(0x12, JSET_K, 0x02));
            assertEquals(2, branch(0x12, JSET_K, 0x04));
            assertEquals(1, branchX(0x12, JSET_X, 0x02));
            assertEquals(2, branchX(0x12, JSET_X, 0x04));
        }

        @Test
        void anUnconditionalJumpSkipsKInstructions()
        {
            assertEquals(3, run(program(stmt(JA, 2), stmt(RET_K, 1), stmt(RET_K, 2), stmt(RET_K, 3))));
            assertEquals(1, run(program(stmt(JA, 0), stmt(RET_K, 1))));
        }

        @Test
        void jumpOffsetsCountFromTheNextInstructionUpTo255()
        {
            final int[][] rows = new int[258][];
            rows[0] = jump(JEQ_K, 0, 255, 0);
            rows[1] = stmt(RET_K, 1);
            for (int i = 2; i < 257; i++)
            {
                rows[i] = stmt(RET_K, 100 + i);
            }
            rows[257] = stmt(RET_K, 9);
            assertEquals(100 + 256, run(program(rows)), "A is 0: 1 + 255 = instruction 256");
        }
    }

    @Nested
    class ReturnsAndMisc
    {
        @Test
        void returnsAConstantOrA()
        {
            assertEquals(0x40000, run(program(stmt(RET_K, 0x40000))));
            assertEquals(0, run(program(stmt(RET_K, 0))));
            assertEquals(-1, run(program(stmt(LD_IMM, -1), RET_A_ROW)), "0xFFFFFFFF, unsigned");
        }

        @Test
        void taxAndTxaCopyBetweenTheRegisters()
        {
            assertEquals(6, run(program(stmt(LD_IMM, 6), stmt(TAX, 0), stmt(LD_IMM, 0), stmt(TXA, 0), RET_A_ROW)));
        }
    }

    @Test
    void tcpdumpsProgramForTcpPort80KeepsOnlyThoseFrames()
    {
        // tcpdump -ddd 'tcp port 80' (libpcap 1.10, Ethernet)
        final BpfProgram p = BpfProgram.parse("""
            20
            40 0 0 12
            21 0 6 34525
            48 0 0 20
            21 0 15 6
            40 0 0 54
            21 12 0 80
            40 0 0 56
            21 10 11 80
            21 0 10 2048
            48 0 0 23
            21 0 8 6
            40 0 0 20
            69 6 0 8191
            177 0 0 14
            72 0 0 14
            21 2 0 80
            72 0 0 16
            21 0 1 80
            6 0 0 262144
            6 0 0 0
            """);
        final byte[] toPort80 = io.tapstack.testkit.Frames.ipv4(2, 1, 0x0A00_0001, 0x0A00_0002, 6, 1, 0,
            io.tapstack.testkit.Frames.tcp(0x0A00_0001, 0x0A00_0002, 40000, 80, 1, 0, 2, 1000, new byte[0],
                new byte[0]));
        final byte[] toPort81 = io.tapstack.testkit.Frames.ipv4(2, 1, 0x0A00_0001, 0x0A00_0002, 6, 1, 0,
            io.tapstack.testkit.Frames.tcp(0x0A00_0001, 0x0A00_0002, 40000, 81, 1, 0, 2, 1000, new byte[0],
                new byte[0]));
        assertEquals(262144, run(p, toPort80));
        assertEquals(0, run(p, toPort81));
        assertEquals(0, run(p, new byte[20]), "too short for a TCP header: not kept, and no exception");
    }
}
