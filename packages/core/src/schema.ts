import { NotifyError } from './errors.js'

// Standard Schema v1 interface, copied as the spec asks (https://standardschema.dev), so that
// zod, valibot and arktype schemas are accepted without a dependency on any of them.

/** The Standard Schema v1 interface. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaV1.Props<Input, Output>
}

/** Types of the Standard Schema v1 interface. */
export declare namespace StandardSchemaV1 {
  /** The properties of the standard schema interface. */
  export interface Props<Input = unknown, Output = Input> {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>
    readonly types?: Types<Input, Output> | undefined
  }
  /** The result of validating a value. */
  export type Result<Output> = SuccessResult<Output> | FailureResult
  /** A successful validation. */
  export interface SuccessResult<Output> {
    readonly value: Output
    readonly issues?: undefined
  }
  /** A failed validation. */
  export interface FailureResult {
    readonly issues: ReadonlyArray<Issue>
  }
  /** One validation issue. */
  export interface Issue {
    readonly message: string
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined
  }
  /** A segment of an issue's path. */
  export interface PathSegment {
    readonly key: PropertyKey
  }
  /** The schema's input and output types. */
  export interface Types<Input = unknown, Output = Input> {
    readonly input: Input
    readonly output: Output
  }
  /** Infers the input type of a schema. */
  export type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['input']
  /** Infers the output type of a schema. */
  export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<
    Schema['~standard']['types']
  >['output']
}

/**
 * Validates `value` against a Standard Schema.
 *
 * @param schema - any Standard Schema v1 (zod ≥ 3.24, valibot ≥ 1, arktype ≥ 2)
 * @param value - the value to check
 * @param what - names the value in the error message, e.g. `payload of "order.updated"`
 * @returns the schema's output value
 * @throws {@link NotifyError} `INVALID_PAYLOAD` listing the issues
 */
export async function validateWithSchema<T>(
  schema: StandardSchemaV1<T>,
  value: unknown,
  what: string,
): Promise<T> {
  let result: StandardSchemaV1.Result<T>
  try {
    result = await schema['~standard'].validate(value)
  } catch (error) {
    throw new NotifyError('INVALID_PAYLOAD', `${what} could not be validated: the schema threw`, {
      cause: error,
    })
  }
  if (result.issues !== undefined) {
    const detail = result.issues
      .map((issue) => {
        const path = issue.path?.map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.')
        return path ? `${path}: ${issue.message}` : issue.message
      })
      .join('; ')
    throw new NotifyError('INVALID_PAYLOAD', `${what} is invalid: ${detail}`)
  }
  return result.value
}
