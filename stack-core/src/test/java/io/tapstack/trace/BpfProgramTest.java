package io.tapstack.trace;

import org.junit.jupiter.api.Test;

import static io.tapstack.trace.Bpf.jump;
import static io.tapstack.trace.Bpf.program;
import static io.tapstack.trace.Bpf.stmt;
import static io.tapstack.trace.BpfProgram.*;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link BpfProgram}'s check refuses what Linux's bpf_check_classic refuses, each rule on its own. */
class BpfProgramTest
{
    private static InvalidBpfProgramException refused(final int[]... rows)
    {
        return assertThrows(InvalidBpfProgramException.class, () -> program(rows));
    }

    @Test
    void aProgramHasOneTo4096Instructions()
    {
        assertThrows(InvalidBpfProgramException.class, () -> BpfProgram.of(new int[0], new int[0], new int[0],
            new int[0]));
        final int[][] longest = new int[MAX_INSTRUCTIONS][];
        java.util.Arrays.fill(longest, stmt(RET_K, 1));
        assertEquals(MAX_INSTRUCTIONS, program(longest).length());
        final int[][] tooLong = new int[MAX_INSTRUCTIONS + 1][];
        java.util.Arrays.fill(tooLong, stmt(RET_K, 1));
        refused(tooLong);
    }

    @Test
    void opcodesLinuxDoesNotKnowAreRefused()
    {
        assertTrue(refused(stmt(0xFF, 0)).getMessage().contains("unknown opcode 0xff"));
        refused(stmt(0x0E, 0), stmt(RET_K, 0)); // ret X: not in the kernel's table
        refused(stmt(0x18, 0), stmt(RET_K, 0)); // ld with a size but no mode
        refused(stmt(0x86, 0), stmt(RET_K, 0)); // a RET with an unknown source
        refused(stmt(0x10000 - 1, 0), stmt(RET_K, 0));
    }

    @Test
    void divisionAndRemainderByAConstantZeroAreRefused()
    {
        assertEquals(0, refused(stmt(DIV_K, 0), stmt(RET_K, 1)).instruction());
        refused(stmt(MOD_K, 0), stmt(RET_K, 1));
        assertDoesNotThrow(() -> program(stmt(DIV_K, 1), stmt(RET_K, 1)));
        assertDoesNotThrow(() -> program(stmt(DIV_X, 0), stmt(RET_K, 1)), "X is only known when it runs");
    }

    @Test
    void shiftsByAConstantOf32OrMoreAreRefused()
    {
        refused(stmt(LSH_K, 32), stmt(RET_K, 1));
        refused(stmt(RSH_K, -1), stmt(RET_K, 1));
        assertDoesNotThrow(() -> program(stmt(LSH_K, 31), stmt(RET_K, 1)));
    }

    @Test
    void scratchMemoryHasSixteenCells()
    {
        refused(stmt(ST_MEM, 16), stmt(RET_K, 1));
        refused(stmt(STX_MEM, -1), stmt(RET_K, 1));
        refused(stmt(ST_MEM, 0), stmt(LD_MEM, 16), stmt(RET_K, 1));
        refused(stmt(ST_MEM, 0), stmt(LDX_MEM, 16), stmt(RET_K, 1));
        assertDoesNotThrow(() -> program(stmt(ST_MEM, 15), stmt(LD_MEM, 15), stmt(RET_K, 1)));
    }

    @Test
    void jumpsMustLandInsideTheProgram()
    {
        assertTrue(refused(stmt(JA, 1), stmt(RET_K, 1)).getMessage().contains("jump past the end"));
        refused(stmt(JA, -1), stmt(RET_K, 1)); // 2^32 - 1: no backward jump in classic BPF
        refused(jump(JEQ_K, 0, 1, 0), stmt(RET_K, 1));
        refused(jump(JGT_X, 0, 0, 1), stmt(RET_K, 1));
        assertDoesNotThrow(() -> program(jump(JSET_K, 1, 1, 0), stmt(RET_K, 1), stmt(RET_K, 2)));
    }

    @Test
    void theLastInstructionMustReturn()
    {
        assertEquals(1, refused(stmt(RET_K, 1), stmt(LD_IMM, 1)).instruction());
        assertDoesNotThrow(() -> program(stmt(LD_IMM, 1), stmt(RET_A, 0)));
    }

    @Test
    void aCellMustBeStoredOnEveryPathBeforeItIsLoaded()
    {
        assertTrue(refused(stmt(LD_MEM, 3), stmt(RET_A, 0)).getMessage().contains("loaded before it is stored"));
        // stored only when the jump is not taken
        refused(jump(JEQ_K, 0, 1, 0), stmt(ST_MEM, 3), stmt(LD_MEM, 3), stmt(RET_A, 0));
        // stored on both paths
        assertDoesNotThrow(() -> program(jump(JEQ_K, 0, 2, 0), stmt(ST_MEM, 3), stmt(JA, 1), stmt(STX_MEM, 3),
            stmt(LD_MEM, 3), stmt(RET_A, 0)));
        // stored before the branch
        assertDoesNotThrow(() -> program(stmt(ST_MEM, 3), jump(JEQ_K, 0, 0, 1), stmt(RET_K, 0), stmt(LDX_MEM, 3),
            stmt(RET_A, 0)));
    }

    @Test
    void ancillaryLoadsAreRefused()
    {
        // SKF_AD_OFF + SKF_AD_PROTOCOL: Linux's skb->protocol, which a frame on its own has not
        refused(stmt(LD_H_ABS, -0x1000), stmt(RET_A, 0));
        refused(stmt(LD_B_ABS, -1), stmt(RET_A, 0));
        assertDoesNotThrow(() -> program(stmt(LD_B_ABS, 0x7FFF_FFFF), stmt(RET_A, 0)), "past any frame, but legal");
    }

    @Test
    void readsTcpdumpsDddOutputAndWritesItBack()
    {
        final String ddd = "4\n40 0 0 12\n21 0 1 2054\n6 0 0 262144\n6 0 0 0\n"; // tcpdump -ddd arp
        final BpfProgram p = BpfProgram.parse(ddd);
        assertEquals(4, p.length());
        assertEquals(ddd, p.toString());
        assertThrows(InvalidBpfProgramException.class, () -> BpfProgram.parse("2\n6 0 0 1\n"));
        assertThrows(InvalidBpfProgramException.class, () -> BpfProgram.parse("1\n6 0 0\n"));
        assertThrows(InvalidBpfProgramException.class, () -> BpfProgram.parse("one\n6 0 0 1\n"));
    }

    @Test
    void theProgramOfNoFilterKeepsEveryFrameWhole()
    {
        assertEquals(-1, Bpf.run(BpfProgram.acceptAll(), 1, 2, 3));
    }
}
