import { Match } from 'aws-cdk-lib/assertions';

import { logicalIdOf, synthesizeAcceleratorStack, type SynthesizedStack } from './support/synthesize';

let synthesized: SynthesizedStack;

beforeAll(() => {
  synthesized = synthesizeAcceleratorStack();
});

describe('QueryApi', () => {
  it('authorizes every method with AWS_IAM', () => {
    const methods = Object.entries(synthesized.template.findResources('AWS::ApiGateway::Method'));

    expect(methods.length).toBeGreaterThan(0);
    for (const [methodId, method] of methods) {
      expect({ methodId, authorizationType: method.Properties.AuthorizationType }).toEqual({
        methodId,
        authorizationType: 'AWS_IAM',
      });
    }
  });

  it('sends POST /query to the API function through a proxy integration', () => {
    const { stack, template } = synthesized;

    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'query' });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      Integration: Match.objectLike({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' }),
    });
    const method = Object.values(template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'POST' } }))[0];
    expect(JSON.stringify(method.Properties.Integration.Uri)).toContain(logicalIdOf(stack.apiQuery.function));
  });

  it('validates the request body against the query model', () => {
    const { template } = synthesized;
    const validators = Object.entries(template.findResources('AWS::ApiGateway::RequestValidator'));
    const models = Object.entries(template.findResources('AWS::ApiGateway::Model'));

    expect(validators.length).toBe(1);
    expect(validators[0][1].Properties).toMatchObject({ ValidateRequestBody: true });
    expect(models.length).toBe(1);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestValidatorId: { Ref: validators[0][0] },
      RequestModels: { 'application/json': { Ref: models[0][0] } },
    });
  });

  it('throttles the stage and writes access and error logs', () => {
    const { template } = synthesized;

    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
        }),
      ]),
    });
  });
});

describe('QueryApi routes', () => {
  it.each([
    ['GET', 'servers'],
    ['GET', 'metrics'],
    ['GET', 'health'],
    ['DELETE', 'cache'],
    ['POST', 'query'],
  ])('sends %s /%s to the API function with IAM auth', (httpMethod, pathPart) => {
    const { stack, template } = synthesized;
    const [resourceId] = Object.keys(template.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: pathPart } }));
    const methods = Object.values(
      template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: httpMethod, ResourceId: { Ref: resourceId } } }),
    );

    expect(methods.length).toBe(1);
    expect(methods[0].Properties.AuthorizationType).toBe('AWS_IAM');
    expect(methods[0].Properties.Integration.Type).toBe('AWS_PROXY');
    expect(JSON.stringify(methods[0].Properties.Integration.Uri)).toContain(logicalIdOf(stack.apiQuery.function));
  });

  it('buffers POST /query by default', () => {
    const post = Object.values(synthesized.template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'POST' } }))[0];

    expect(post.Properties.Integration.ResponseTransferMode).toBe('BUFFERED');
  });
});

describe('QueryApi with response streaming', () => {
  it('streams POST /query through the streaming invocation URI', () => {
    const { template } = synthesizeAcceleratorStack(undefined, { apiResponseStreaming: 'true' });
    const post = Object.values(template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'POST' } }))[0];

    expect(post.Properties.Integration.ResponseTransferMode).toBe('STREAM');
    expect(JSON.stringify(post.Properties.Integration.Uri)).toContain('response-streaming-invocations');
  });
});
