package io.dbmmigrate.source.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.dbmmigrate.digest.Digest;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.machine.VcpuSnapshot;
import io.dbmmigrate.net.RateLimiter;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * Proof that {@link TargetSessionContractTest} can fail: the contract runs (through JUnit's engine
 * test kit) against targets broken on purpose, one realistic bug each, and each must fail at least
 * one case while the correct fake fails none. The broken bindings are nested classes, which the
 * build does not run on their own.
 */
class TargetSessionContractCatchesBrokenTargetsTest {
  private static final String UNDER_TEST_KIT = "dbm.contract.brokenBindings";

  /** The broken bindings run only through {@link #run}, never when a filter selects them directly. */
  static final class OnlyUnderTestKit implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      return context.getConfigurationParameter(UNDER_TEST_KIT).isPresent()
          ? ConditionEvaluationResult.enabled("run by TargetSessionContractCatchesBrokenTargetsTest")
          : ConditionEvaluationResult.disabled("a broken binding: runs only under TargetSessionContractCatchesBrokenTargetsTest");
    }
  }

  /** A session that delegates to a correct {@link FakeTarget}; variants override one behaviour. */
  abstract static class Wrapped implements TargetConnector, TargetSession {
    final FakeTarget fake = new FakeTarget(new FakeClock());

    @Override
    public TargetSession open(VmShape shape, SessionOptions options, RateLimiter limiter) {
      fake.open(shape, options, limiter);
      return this;
    }

    @Override
    public RoundTransfer sendRound(int round, HarvestBitmap.Round bitmap, GuestMemory memory, ProgressSink progress)
        throws TransferException {
      return fake.sendRound(round, bitmap, memory, progress);
    }

    @Override
    public CommitOutcome commit(List<VcpuSnapshot> vcpus, Digest digest, boolean resume) throws TransferException {
      return fake.commit(vcpus, digest, resume);
    }

    @Override
    public void abort(String reason) {
      fake.abort(reason);
    }

    @Override
    public void cancelInFlight(String reason) {
      fake.cancelInFlight(reason);
    }

    @Override
    public OptionalLong destinationStoresRetired() {
      return fake.destinationStoresRetired();
    }

    @Override
    public DestinationProbe probe() {
      return fake.probe();
    }

    @Override
    public void close() {
      fake.close();
    }
  }

  /** Loses the last page of every round (an off-by-one at the end of the bitmap walk). */
  static final class LosesLastPage extends Wrapped {
    @Override
    public RoundTransfer sendRound(int round, HarvestBitmap.Round bitmap, GuestMemory memory, ProgressSink progress)
        throws TransferException {
      long last = -1;
      for (int w = bitmap.wordCount() - 1; w >= 0 && last < 0; w--)
        if (bitmap.word(w) != 0) last = ((long) w << 6) | (63 - Long.numberOfLeadingZeros(bitmap.word(w)));
      HarvestBitmap copy = HarvestBitmap.forGfnLimit(bitmap.wordCount() * 64L);
      for (int w = 0; w < bitmap.wordCount(); w++)
        for (long word = bitmap.word(w); word != 0; word &= word - 1) {
          long gfn = ((long) w << 6) | Long.numberOfTrailingZeros(word);
          if (gfn != last) copy.setRange(gfn, gfn + 1);
        }
      RoundTransfer t = fake.sendRound(round, copy.publish(), memory, progress);
      return new RoundTransfer(t.pages() + 1, t.zeroPages(), t.rawBytes(), t.wireBytes(), t.batches(), t.nanos());
    }
  }

  /** Resumes whenever asked, match or not. */
  static final class ResumesOnMismatch extends Wrapped {
    @Override
    public CommitOutcome commit(List<VcpuSnapshot> vcpus, Digest digest, boolean resume) throws TransferException {
      CommitOutcome o = fake.commit(vcpus, digest, resume);
      return new CommitOutcome(o.match(), resume, o.destDigestHex(), o.mismatchedRanges(), o.readyMillis(), o.verifyMillis(), o.detail(), o.dest());
    }
  }

  /** Forgets a cancel once the streams it cancelled are gone. */
  static final class ForgetsCancel extends Wrapped {
    @Override
    public void cancelInFlight(String reason) {}
  }

  @ExtendWith(OnlyUnderTestKit.class)
  public static final class LosesLastPageContract extends TargetSessionContractTest {
    @Override
    protected TargetConnector newConnector() {
      return new LosesLastPage();
    }
  }

  @ExtendWith(OnlyUnderTestKit.class)
  public static final class ResumesOnMismatchContract extends TargetSessionContractTest {
    @Override
    protected TargetConnector newConnector() {
      return new ResumesOnMismatch();
    }
  }

  @ExtendWith(OnlyUnderTestKit.class)
  public static final class ForgetsCancelContract extends TargetSessionContractTest {
    @Override
    protected TargetConnector newConnector() {
      return new ForgetsCancel();
    }
  }

  /** The correct fake through the same wrapper: the wrapper alone breaks nothing. */
  @ExtendWith(OnlyUnderTestKit.class)
  public static final class CorrectContract extends TargetSessionContractTest {
    @Override
    protected TargetConnector newConnector() {
      return new Wrapped() {};
    }
  }

  private static Events run(Class<?> binding) {
    return EngineTestKit.engine("junit-jupiter")
        .configurationParameter(UNDER_TEST_KIT, "true")
        .selectors(selectClass(binding))
        .execute()
        .testEvents();
  }

  @Test
  void everyBrokenTargetFailsTheContractAndTheCorrectOneDoesNot() {
    assertThat(run(CorrectContract.class).failed().count()).isZero();
    assertThat(run(CorrectContract.class).succeeded().count()).isEqualTo(6);
    for (Class<?> broken : List.of(LosesLastPageContract.class, ResumesOnMismatchContract.class, ForgetsCancelContract.class))
      assertThat(run(broken).failed().count()).as(broken.getSimpleName() + " must fail a contract case").isPositive();
  }
}
