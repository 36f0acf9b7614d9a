package dev.gatehouse.controlplane.cli;

import dev.gatehouse.posture.analyze.Analysis;
import dev.gatehouse.posture.describe.WorkloadDescription;
import dev.gatehouse.posture.explain.ExplainRequest;
import dev.gatehouse.posture.explain.Explanation;
import dev.gatehouse.posture.report.PostureReport;

/**
 * Where the four posture commands get their answers: worked out here on manifests or a cluster
 * ({@link LocalPosture}), or asked of a running Gatehouse ({@link ServerPosture}, the same JSON).
 */
interface PostureSource {
  WorkloadDescription describe(String pod);

  Explanation explain(ExplainRequest request);

  Analysis analyze();

  PostureReport posture();
}
