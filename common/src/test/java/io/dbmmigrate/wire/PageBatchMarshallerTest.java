package io.dbmmigrate.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.PageBatch;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PageBatchMarshallerTest {
  private static PageBatch sample() {
    byte[] payload = new byte[10_000];
    new Random(3).nextBytes(payload);
    return PageBatch.newBuilder()
        .setSessionId("s")
        .setStream(2)
        .setSequence(7)
        .setPageCount(1)
        .setRawBytes(payload.length)
        .setCrc32C(42)
        .setPayload(ByteString.copyFrom(payload))
        .build();
  }

  @Test
  void parsesWhatTheStandardMarshallerWrites() throws Exception {
    PageBatch b = sample();
    InputStream wire = PageBatchMarshaller.instance().stream(b);
    assertThat(PageBatchMarshaller.instance().parse(wire)).isEqualTo(b);
    assertThat(PageBatchMarshaller.instance().parse(new ByteArrayInputStream(b.toByteArray()))).isEqualTo(b);
  }

  @Test
  void refusesGarbageAsInternal() {
    byte[] junk = {(byte) 0x82, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1};
    assertThatThrownBy(() -> PageBatchMarshaller.instance().parse(new ByteArrayInputStream(junk)))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("INTERNAL");
  }

  @Test
  void rebindsOnlyThePageBatchMethodAndKeepsTheSchema() {
    ServerServiceDefinition def =
        PageBatchMarshaller.rebind(new MigrationTargetGrpc.MigrationTargetImplBase() {}.bindService());
    int rebound = 0;
    for (ServerMethodDefinition<?, ?> m : def.getMethods()) {
      boolean pages = m.getMethodDescriptor().getFullMethodName().endsWith("/SendPages");
      assertThat(m.getMethodDescriptor().getRequestMarshaller() == PageBatchMarshaller.instance())
          .as(m.getMethodDescriptor().getFullMethodName())
          .isEqualTo(pages);
      if (pages) rebound++;
    }
    assertThat(rebound).isEqualTo(1);
    assertThat(def.getServiceDescriptor().getSchemaDescriptor()).isNotNull();
    assertThat(def.getMethods()).hasSize(MigrationTargetGrpc.getServiceDescriptor().getMethods().size());
  }
}
