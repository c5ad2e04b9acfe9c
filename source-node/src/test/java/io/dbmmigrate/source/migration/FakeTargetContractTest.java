package io.dbmmigrate.source.migration;

/** The in-memory {@link FakeTarget} that the controller tests trust holds the session contract. */
class FakeTargetContractTest extends TargetSessionContractTest {
  @Override
  protected TargetConnector newConnector() {
    return new FakeTarget(new FakeClock());
  }
}
