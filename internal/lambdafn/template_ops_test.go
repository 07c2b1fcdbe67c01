package lambdafn

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/samtemplate"
)

// alarm is what checkAlarms reads of an AWS::CloudWatch::Alarm.
type alarm struct {
	id      string
	metrics []alarmMetric // one, or those of a metric math alarm
	math    bool          // has a metric math expression
	stat    string        // Statistic or ExtendedStatistic, "" for metric math
	node    samtemplate.Node
}

// alarmMetric is one metric of an alarm, its dimension values as written ("!Ref HttpApi").
type alarmMetric struct {
	namespace, name string
	dims            map[string]string
}

func (m alarmMetric) is(namespace, name string, dims map[string]string) bool {
	if m.namespace != namespace || m.name != name {
		return false
	}
	for k, v := range dims {
		if m.dims[k] != v {
			return false
		}
	}
	return true
}

func readAlarm(id string, n samtemplate.Node) alarm {
	dims := func(n samtemplate.Node) map[string]string {
		out := map[string]string{}
		for _, d := range n.Items() {
			out[d.Get("Name").Str()] = d.Get("Value").Expr()
		}
		return out
	}
	p := n.Get("Properties")
	a := alarm{id: id, node: p, stat: p.Get("Statistic").Str() + p.Get("ExtendedStatistic").Str()}
	if ns := p.Get("Namespace").Str(); ns != "" {
		a.metrics = append(a.metrics, alarmMetric{ns, p.Get("MetricName").Str(), dims(p.Get("Dimensions"))})
	}
	for _, m := range p.Get("Metrics").Items() {
		if m.Get("Expression").Node != nil {
			a.math = true
		}
		if met := m.Path("MetricStat", "Metric"); met.Node != nil {
			a.metrics = append(a.metrics, alarmMetric{met.Get("Namespace").Str(), met.Get("MetricName").Str(), dims(met.Get("Dimensions"))})
		}
	}
	return a
}

// findAlarm returns the first alarm with a metric matching namespace, name and dims.
func findAlarm(alarms []alarm, namespace, name string, dims map[string]string) (alarm, bool) {
	for _, a := range alarms {
		if slices.ContainsFunc(a.metrics, func(m alarmMetric) bool { return m.is(namespace, name, dims) }) {
			return a, true
		}
	}
	return alarm{}, false
}

// checkAlarms returns every way in which the template's alarms fall short: an alarm that does not
// notify the one SNS topic both ways; a function without its alarm on errors of its live version
// (also its rollback alarm in DeploymentPreference) or on throttles; a stream consumer without its
// iterator age alarm; a dead-letter or failure queue without an alarm on any message in it; another
// queue without one on the age of its oldest message; an HTTP API without its 5xx-rate (metric
// math over 5xx and Count) and p99 latency alarms. Counting alarms must treat missing data as
// not breaching: no invocations, no errors.
func checkAlarms(tmpl samtemplate.Node) []string {
	var problems []string
	ids, res := tmpl.Get("Resources").Entries()
	byType := map[string][]int{}
	for i := range ids {
		typ := res[i].Get("Type").Str()
		byType[typ] = append(byType[typ], i)
	}
	if n := len(byType["AWS::SNS::Topic"]); n != 1 {
		return []string{fmt.Sprintf("%d SNS topics, want 1 for the alarms", n)}
	}
	topic := "!Ref " + ids[byType["AWS::SNS::Topic"][0]]

	var alarms []alarm
	for _, i := range byType["AWS::CloudWatch::Alarm"] {
		a := readAlarm(ids[i], res[i])
		alarms = append(alarms, a)
		for _, actions := range []string{"AlarmActions", "OKActions"} {
			var got []string
			for _, it := range a.node.Get(actions).Items() {
				got = append(got, it.Expr())
			}
			if !slices.Contains(got, topic) {
				problems = append(problems, fmt.Sprintf("alarm %s: %s %v, want %s among them", a.id, actions, got, topic))
			}
		}
		if len(a.metrics) == 0 {
			problems = append(problems, fmt.Sprintf("alarm %s: no metric", a.id))
		}
	}
	notBreaching := func(a alarm) {
		if got := a.node.Get("TreatMissingData").Str(); got != "notBreaching" {
			problems = append(problems, fmt.Sprintf("alarm %s: TreatMissingData %q, want notBreaching", a.id, got))
		}
	}

	// Queues that receive what failed elsewhere: redrive targets and on-failure destinations.
	dead := map[string]bool{}
	for _, i := range byType["AWS::SQS::Queue"] {
		if t := res[i].Path("Properties", "RedrivePolicy", "deadLetterTargetArn").Expr(); t != "" {
			dead[t] = true
		}
	}
	for _, i := range byType["AWS::Serverless::Function"] {
		_, events := res[i].Path("Properties", "Events").Entries()
		for _, ev := range events {
			if d := ev.Path("Properties", "DestinationConfig", "OnFailure", "Destination").Expr(); d != "" {
				dead[d] = true
			}
		}
	}

	for _, i := range byType["AWS::Serverless::Function"] {
		fn := ids[i]
		errs, ok := findAlarm(alarms, "AWS/Lambda", "Errors", map[string]string{
			"FunctionName":    "!Ref " + fn,
			"Resource":        "!Sub ${" + fn + "}:live",
			"ExecutedVersion": "!GetAtt " + fn + ".Version.Version",
		})
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: no Errors alarm on its live version (FunctionName, Resource ${%s}:live, ExecutedVersion)", fn, fn))
		} else {
			notBreaching(errs)
			var rollback []string
			for _, it := range res[i].Path("Properties", "DeploymentPreference", "Alarms").Items() {
				rollback = append(rollback, it.Expr())
			}
			if !slices.Contains(rollback, "!Ref "+errs.id) {
				problems = append(problems, fmt.Sprintf("%s: DeploymentPreference.Alarms %v, want !Ref %s among them", fn, rollback, errs.id))
			}
		}
		if a, ok := findAlarm(alarms, "AWS/Lambda", "Throttles", map[string]string{"FunctionName": "!Ref " + fn}); !ok {
			problems = append(problems, fmt.Sprintf("%s: no Throttles alarm", fn))
		} else {
			notBreaching(a)
		}
		_, events := res[i].Path("Properties", "Events").Entries()
		for _, ev := range events {
			if typ := ev.Get("Type").Str(); typ == "DynamoDB" || typ == "Kinesis" {
				if _, ok := findAlarm(alarms, "AWS/Lambda", "IteratorAge", map[string]string{"FunctionName": "!Ref " + fn}); !ok {
					problems = append(problems, fmt.Sprintf("%s: reads a %s stream and has no IteratorAge alarm", fn, typ))
				}
			}
		}
	}

	for _, i := range byType["AWS::SQS::Queue"] {
		q := ids[i]
		dims := map[string]string{"QueueName": "!GetAtt " + q + ".QueueName"}
		if dead["!GetAtt "+q+".Arn"] {
			a, ok := findAlarm(alarms, "AWS/SQS", "ApproximateNumberOfMessagesVisible", dims)
			if !ok {
				problems = append(problems, fmt.Sprintf("%s (dead-letter or failure queue): no ApproximateNumberOfMessagesVisible alarm", q))
				continue
			}
			notBreaching(a)
			op, threshold := a.node.Get("ComparisonOperator").Str(), a.node.Get("Threshold").Str()
			if !(op == "GreaterThanThreshold" && threshold == "0") && !(op == "GreaterThanOrEqualToThreshold" && threshold == "1") {
				problems = append(problems, fmt.Sprintf("alarm %s: %s %s, want any message (GreaterThanThreshold 0)", a.id, op, threshold))
			}
		} else if _, ok := findAlarm(alarms, "AWS/SQS", "ApproximateAgeOfOldestMessage", dims); !ok {
			problems = append(problems, fmt.Sprintf("%s: no ApproximateAgeOfOldestMessage alarm", q))
		}
	}

	for _, i := range byType["AWS::Serverless::HttpApi"] {
		api := map[string]string{"ApiId": "!Ref " + ids[i]}
		rate := slices.ContainsFunc(alarms, func(a alarm) bool {
			has := func(name string) bool {
				return slices.ContainsFunc(a.metrics, func(m alarmMetric) bool { return m.is("AWS/ApiGateway", name, api) })
			}
			return a.math && has("5xx") && has("Count")
		})
		if !rate {
			problems = append(problems, fmt.Sprintf("%s: no 5xx rate alarm (metric math over 5xx and Count)", ids[i]))
		}
		if a, ok := findAlarm(alarms, "AWS/ApiGateway", "Latency", api); !ok || a.stat != "p99" {
			problems = append(problems, fmt.Sprintf("%s: no p99 Latency alarm", ids[i]))
		}
	}
	return problems
}

// subRef matches a ${Name} or ${Name.Attribute} of a !Sub string.
var subRef = regexp.MustCompile(`\$\{([A-Za-z0-9:.]+)\}`)

// checkDashboard returns every function, queue, HTTP API and alarm that no widget of the
// dashboard shows, and a dashboard body that is not JSON.
func checkDashboard(tmpl samtemplate.Node) []string {
	ids, res := tmpl.Get("Resources").Entries()
	var body string
	for i := range ids {
		if res[i].Get("Type").Str() == "AWS::CloudWatch::Dashboard" {
			body = res[i].Path("Properties", "DashboardBody").Str()
		}
	}
	if body == "" {
		return []string{"no AWS::CloudWatch::Dashboard with a DashboardBody"}
	}
	// What !Sub puts in: a parameter (a number in the body) becomes 1, a resource its name.
	params, _ := tmpl.Get("Parameters").Entries()
	shown := map[string]bool{}
	sub := subRef.ReplaceAllStringFunc(body, func(ref string) string {
		name := subRef.FindStringSubmatch(ref)[1]
		if slices.Contains(params, name) {
			return "1"
		}
		return name
	})
	var dash struct {
		Widgets []struct {
			Type       string
			Properties struct {
				Metrics []json.RawMessage
				Alarms  []string
			}
		}
	}
	if err := json.Unmarshal([]byte(sub), &dash); err != nil {
		return []string{fmt.Sprintf("DashboardBody is not JSON after substitution: %v", err)}
	}
	for _, w := range dash.Widgets {
		for _, m := range w.Properties.Metrics {
			// A metric is [namespace, name, dimension, value, ..., options]; a SEARCH expression
			// names the API inside its string.
			var line []any
			if err := json.Unmarshal(m, &line); err == nil {
				for _, v := range line {
					s, _ := v.(string)
					shown[s] = true
					if obj, ok := v.(map[string]any); ok {
						if e, ok := obj["expression"].(string); ok && strings.Contains(e, "SEARCH(") {
							for _, id := range ids {
								if strings.Contains(e, `ApiId="`+id+`"`) {
									shown[id] = true
								}
							}
						}
					}
				}
			}
		}
		for _, a := range w.Properties.Alarms {
			shown[a] = true
		}
	}
	var problems []string
	for i, id := range ids {
		var want string
		switch res[i].Get("Type").Str() {
		case "AWS::Serverless::Function", "AWS::Serverless::HttpApi":
			want = id
		case "AWS::SQS::Queue":
			want = id + ".QueueName"
		case "AWS::CloudWatch::Alarm":
			want = id + ".Arn"
		default:
			continue
		}
		if !shown[want] {
			problems = append(problems, fmt.Sprintf("dashboard: no widget shows %s (${%s})", id, want))
		}
	}
	return problems
}

// taggable are the resource types of the template that take a Tags list of Key and Value.
var taggable = []string{
	"AWS::DynamoDB::Table", "AWS::SecretsManager::Secret", "AWS::Logs::LogGroup", "AWS::SQS::Queue",
	"AWS::Events::EventBus", "AWS::SNS::Topic", "AWS::KMS::Key", "AWS::CloudWatch::Alarm",
}

// checkDeploys returns every way in which the template's deploys are not safe or its resources
// not tagged: functions without the live alias, the DeploymentStrategy deployment or the
// Service and Stage tags (Globals, propagated to what SAM generates); a queue that a stack
// deletion or replacement would delete; a resource of a taggable type or an HTTP API without
// the tags; an HTTP API without detailed (per route) metrics or access logs.
func checkDeploys(tmpl samtemplate.Node) []string {
	var problems []string
	fn := tmpl.Path("Globals", "Function")
	for _, c := range []struct{ path, want string }{
		{"AutoPublishAlias", "live"},
		{"DeploymentPreference.Type", "!Ref DeploymentStrategy"},
		{"Tags.Service", "customers-api"},
		{"Tags.Stage", "!Ref Stage"},
		{"PropagateTags", "true"},
	} {
		if got := fn.Path(strings.Split(c.path, ".")...).Expr(); got != c.want {
			problems = append(problems, fmt.Sprintf("Globals.Function.%s = %q, want %q", c.path, got, c.want))
		}
	}
	if rc := fn.Get("ReservedConcurrentExecutions"); rc.Tag != "!If" || len(rc.Items()) != 3 || rc.Items()[2].Expr() != "!Ref AWS::NoValue" {
		problems = append(problems, "Globals.Function.ReservedConcurrentExecutions: want !If [a condition, !Ref ReservedConcurrency, !Ref AWS::NoValue]")
	}
	ids, res := tmpl.Get("Resources").Entries()
	for i, id := range ids {
		typ := res[i].Get("Type").Str()
		if typ == "AWS::SQS::Queue" {
			for _, policy := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
				if got := res[i].Get(policy).Str(); got != "Retain" {
					problems = append(problems, fmt.Sprintf("%s: %s %q, want Retain", id, policy, got))
				}
			}
		}
		if slices.Contains(taggable, typ) {
			tags := map[string]string{}
			for _, tag := range res[i].Path("Properties", "Tags").Items() {
				tags[tag.Get("Key").Str()] = tag.Get("Value").Expr()
			}
			if tags["Service"] != "customers-api" || tags["Stage"] != "!Ref Stage" {
				problems = append(problems, fmt.Sprintf("%s: tags %v, want Service customers-api and Stage !Ref Stage", id, tags))
			}
		}
		if typ == "AWS::Serverless::HttpApi" {
			p := res[i].Get("Properties")
			if p.Path("Tags", "Service").Str() != "customers-api" || p.Path("Tags", "Stage").Expr() != "!Ref Stage" {
				problems = append(problems, fmt.Sprintf("%s: no Service and Stage tags", id))
			}
			if p.Path("DefaultRouteSettings", "DetailedMetricsEnabled").Str() != "true" {
				problems = append(problems, fmt.Sprintf("%s: DefaultRouteSettings.DetailedMetricsEnabled is not true (no per-route metrics)", id))
			}
			problems = append(problems, checkAccessLog(id, p.Get("AccessLogSettings"))...)
		}
	}
	return problems
}

// checkAccessLog returns what is wrong with an HTTP API's access log settings: the format must be
// one JSON object with the fields an operator needs, and nothing that carries a query string
// (a list filter may be an email address).
func checkAccessLog(api string, settings samtemplate.Node) []string {
	if settings.Get("DestinationArn").Node == nil {
		return []string{fmt.Sprintf("%s: no AccessLogSettings.DestinationArn", api)}
	}
	var format map[string]string
	if err := json.Unmarshal([]byte(settings.Get("Format").Str()), &format); err != nil {
		return []string{fmt.Sprintf("%s: AccessLogSettings.Format is not a JSON object of strings: %v", api, err)}
	}
	var problems []string
	for _, k := range []string{"requestId", "routeKey", "status", "integrationLatency", "responseLatency", "ip", "userAgent"} {
		if !strings.HasPrefix(format[k], "$context.") {
			problems = append(problems, fmt.Sprintf("%s: access log field %s = %q, want a $context variable", api, k, format[k]))
		}
	}
	for k, v := range format {
		// $context.path has no query string, but a path is whatever a client sent.
		if strings.Contains(v, "querystring") || strings.Contains(v, "$context.path") || strings.Contains(v, "$request") {
			problems = append(problems, fmt.Sprintf("%s: access log field %s = %q: no paths, query strings or request data", api, k, v))
		}
	}
	return problems
}

func TestTemplateOperations(t *testing.T) {
	tmpl := readTemplate(t)
	for _, check := range []func(samtemplate.Node) []string{checkAlarms, checkDashboard, checkDeploys} {
		for _, p := range check(tmpl) {
			t.Error(p)
		}
	}
}

// TestCheckOperationsFindsDrift breaks the real template in each way the checks above must
// report.
func TestCheckOperationsFindsDrift(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const extraQueue = "Resources:\n  ExtraQueue:\n    Type: AWS::SQS::Queue\n    DeletionPolicy: Retain\n    UpdateReplacePolicy: Retain\n    Properties: {}\n"
	tests := []struct {
		name string
		old  string // replaced by new everywhere in template.yaml
		new  string
		want string
	}{
		{"throttles alarm removed", "MetricName: Throttles", "MetricName: Invocations", "NotFoundFunction: no Throttles alarm"},
		{"errors alarm on every version", "Name: ExecutedVersion", "Name: Other", "NotFoundFunction: no Errors alarm on its live version"},
		{"rollback alarm missing", "- !Ref GetOrderErrorsAlarm", "- !Ref GetOrderThrottlesAlarm", "GetOrderFunction: DeploymentPreference.Alarms [!Ref GetOrderThrottlesAlarm], want !Ref GetOrderErrorsAlarm"},
		{"alarm without topic", "OKActions:\n        - !Ref AlarmTopic", "OKActions:\n        - !Ref OtherTopic", "OKActions [!Ref OtherTopic], want !Ref AlarmTopic"},
		{"errors counted when missing", "TreatMissingData: notBreaching", "TreatMissingData: breaching", `TreatMissingData "breaching", want notBreaching`},
		{"dead-letter queue without alarm", "Value: !GetAtt CrmChangesDeadLetterQueue.QueueName", "Value: !GetAtt Other.QueueName", "CrmChangesDeadLetterQueue (dead-letter or failure queue): no ApproximateNumberOfMessagesVisible alarm"},
		{"failure queue without alarm", "Value: !GetAtt ChangeEventsFailureQueue.QueueName", "Value: !GetAtt Other.QueueName", "ChangeEventsFailureQueue (dead-letter or failure queue): no"},
		{"new queue without alarm", "Resources:\n", extraQueue, "ExtraQueue: no ApproximateAgeOfOldestMessage alarm"},
		{"no iterator age alarm", "MetricName: IteratorAge", "MetricName: Duration", "ChangeEventsFunction: reads a DynamoDB stream and has no IteratorAge alarm"},
		{"no 5xx rate alarm", "MetricName: 5xx", "MetricName: 4xx", "HttpApi: no 5xx rate alarm"},
		{"no p99 alarm", "ExtendedStatistic: p99", "ExtendedStatistic: p90", "HttpApi: no p99 Latency alarm"},
		{"function not on the dashboard", `"${GetOrderFunction}"`, `"GetOrder"`, "dashboard: no widget shows GetOrderFunction"},
		{"alarm not on the dashboard", `"${ApiLatencyAlarm.Arn}",`, "", "dashboard: no widget shows ApiLatencyAlarm"},
		{"dashboard not JSON", `{"widgets": [`, `{"widgets": [[`, "DashboardBody is not JSON"},
		{"queue deleted with the stack", "    DeletionPolicy: Retain\n    UpdateReplacePolicy: Retain\n    Properties:\n      FifoQueue: true", "    DeletionPolicy: Delete\n    UpdateReplacePolicy: Retain\n    Properties:\n      FifoQueue: true", `CrmChangesQueue: DeletionPolicy "Delete", want Retain`},
		{"untagged", "        - Key: Stage\n          Value: !Ref Stage\n", "", "ApiAccessLogs: tags map[Service:customers-api], want"},
		{"no canary", "      Type: !Ref DeploymentStrategy", "      Type: AllAtOnce", `Globals.Function.DeploymentPreference.Type = "AllAtOnce"`},
		{"no per-route metrics", "DetailedMetricsEnabled: true", "DetailedMetricsEnabled: false", "HttpApi: DefaultRouteSettings.DetailedMetricsEnabled is not true"},
		{"query string logged", `"routeKey":"$context.routeKey"`, `"routeKey":"$context.routeKey","q":"$request.querystring.email"`, "access log field q"},
		{"access log field missing", `"userAgent":"$context.identity.userAgent"`, `"agent":"$context.identity.userAgent"`, "access log field userAgent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(string(src), tt.old) {
				t.Fatalf("template.yaml has no %q to break", tt.old)
			}
			tmpl, err := samtemplate.Parse([]byte(strings.ReplaceAll(string(src), tt.old, tt.new)))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, check := range []func(samtemplate.Node) []string{checkAlarms, checkDashboard, checkDeploys} {
				got = append(got, check(tmpl)...)
			}
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("checks = %q, want a problem containing %q", got, tt.want)
			}
		})
	}
}
