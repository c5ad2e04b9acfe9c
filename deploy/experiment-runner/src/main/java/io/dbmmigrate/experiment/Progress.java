package io.dbmmigrate.experiment;

/** What the sweep reports while it runs (console, or nothing in tests). */
interface Progress {
  void begin(String sweep, int total, int alreadyDone);

  void start(int index, int toRun, RunPoint point);

  void finish(int index, int toRun, ResultRow row);

  void end();

  Progress NONE =
      new Progress() {
        @Override
        public void begin(String sweep, int total, int alreadyDone) {}

        @Override
        public void start(int index, int toRun, RunPoint point) {}

        @Override
        public void finish(int index, int toRun, ResultRow row) {}

        @Override
        public void end() {}
      };
}
