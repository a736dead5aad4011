import { cutPoint, shorten } from '../src/shorten.js'

describe('shortening text for display', () => {
  test.each([
    ['short', 10, 'short'],
    ['exactly10!', 10, 'exactly10!'],
    ['a longer text', 8, 'a longe…'],
    ['ab🎉cd', 4, 'ab…'],
    ['训练完成，损失', 4, '训练完…']
  ])('%j cut to %d is %j', (text, max, expected) => {
    expect(shorten(text, max)).toBe(expected)
    expect(shorten(text, max).length).toBeLessThanOrEqual(max)
  })

  test('never cuts between the halves of a surrogate pair', () => {
    // '🎉' is two UTF-16 units at index 2 and 3.
    expect(cutPoint('ab🎉cd', 3)).toBe(2)
    expect(cutPoint('ab🎉cd', 4)).toBe(4)
  })
})
